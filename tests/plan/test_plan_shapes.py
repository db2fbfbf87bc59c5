"""Shape templates reshape a tenant's current KPIs into a TARGETS plan; a dip needs more than ADDITIVE."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from flows.engine.demo_tenants import create_demo_tenant
from flows.engine.steps import prepare
from flows.kpis.reads import monthly_kpis
from flows.plan.readers import read_plan_file
from flows.plan.shapes import shape_plan
from flows.plan.templates import available
from flows.store import Store
from generators.errors import UsageError
from generators.metrics import METRICS
from tests.cli.test_cli import run
from tests.helpers import present

NOW = datetime(2025, 1, 15, tzinfo=UTC)


@pytest.fixture
def shaped_tenant(store: Store):
    return create_demo_tenant(store, name="Shape", first="2024-09", last="2024-12", seed="shape", now=NOW).tenant


def test_shape_templates_are_apart_from_growth_templates() -> None:
    assert available() == ["seasonal", "steady-growth"]
    assert available("shape") == ["holiday-dip", "q4-surge"]


def test_holiday_dip_scales_november_and_december(store: Store, shaped_tenant) -> None:
    current = monthly_kpis(store, shaped_tenant, "2024-09", "2024-12")
    shaped = shape_plan(store, "holiday-dip", "shape", first_month="2024-09", last_month="2024-12", mode="reconcile")
    assert shaped.months == ["2024-11", "2024-12"]
    plan = shaped.plan
    assert (plan.mode, plan.plan_type) == ("reconcile", "targets")
    for entry, factor in zip(plan.months, (Decimal("0.9"), Decimal("0.7")), strict=True):
        values = entry.values()
        for metric in METRICS:
            exact = Decimal(str(current[entry.month][metric.name])) * factor
            assert abs(Decimal(str(values[metric.name])) - exact) <= Decimal("0.5"), (entry.month, metric.name)
        assert present(values["dealsCreated"]) < current[entry.month]["dealsCreated"]


def test_a_dip_in_additive_mode_is_refused_with_v1(store: Store, shaped_tenant) -> None:
    shaped = shape_plan(store, "holiday-dip", "shape", first_month="2024-12", last_month="2024-12")
    result = prepare(store, shaped.plan, as_of=NOW).validation
    assert not result.valid
    current = monthly_kpis(store, shaped_tenant, "2024-12", "2024-12")["2024-12"]
    delta = int(present(shaped.plan.months[0].values()["leadsCreated"])) - int(current["leadsCreated"])
    v1 = [e for e in result.errors if e.code == "V-1" and e.metric == "leadsCreated"]
    assert [e.message for e in v1] == [
        f"Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: {delta} (2024-12)"
    ]


def test_a_q4_surge_in_additive_mode_is_valid(store: Store, shaped_tenant) -> None:
    current = monthly_kpis(store, shaped_tenant, "2024-10", "2024-12")
    shaped = shape_plan(store, "q4-surge", "shape", first_month="2024-01", last_month="2024-12", seed="q4")
    assert shaped.months == ["2024-10", "2024-11", "2024-12"]
    result = prepare(store, shaped.plan, as_of=NOW).validation
    assert result.valid, result.errors
    for entry in shaped.plan.months:
        leads = int(current[entry.month]["leadsCreated"])
        assert entry.values()["leadsCreated"] == int(
            (Decimal(leads) * Decimal("1.25")).to_integral_value("ROUND_HALF_UP")
        )


def test_a_range_the_template_does_not_shape_is_refused(store: Store, shaped_tenant) -> None:
    with pytest.raises(UsageError) as refused:
        shape_plan(store, "q4-surge", "shape", first_month="2024-01", last_month="2024-09")
    assert (
        str(refused.value) == "q4-surge shapes no month from 2024-01 to 2024-09: it shapes October, November, December"
    )
    with pytest.raises(UsageError) as refused:
        shape_plan(store, "../seasonal", "shape", first_month="2024-01", last_month="2024-12")
    assert str(refused.value) == "unknown shape template '../seasonal': choose one of holiday-dip, q4-surge"


def test_plan_from_template_writes_a_targets_plan(
    database_url: str, store: Store, shaped_tenant, tmp_path: Path, capsys
) -> None:
    out_file = tmp_path / "surge.yaml"
    args = ["plan", "from-template", "q4-surge", "--tenant", "shape", "--from", "2024-10", "--to", "2024-12"]
    code, _, err = run([*args, "-o", str(out_file), "--database", database_url], capsys)
    assert code == 0, err
    assert "q4-surge: 3 months of shape shaped (2024-10 … 2024-12), mode additive" in err
    plan = read_plan_file(out_file)
    assert (plan.mode, plan.plan_type, [m.month for m in plan.months]) == (
        "additive",
        "targets",
        ["2024-10", "2024-11", "2024-12"],
    )
    assert yaml.safe_load(out_file.read_text(encoding="utf-8"))["planType"] == "targets"

    dip = ["plan", "from-template", "holiday-dip", "--tenant", "shape", "--from", "2024-12", "--to", "2024-12"]
    code, out, err = run([*dip, "--database", database_url], capsys)
    assert code == 1 and out == ""
    assert "Cannot reduce" in err and "in ADDITIVE mode" in err
