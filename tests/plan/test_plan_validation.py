"""Validation rules, one fixture per rule, TARGETS interpretation and the example plan's preview numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.plan.model import PatchPlan
from flows.plan.readers import read_plan_file
from flows.plan.rules import CODES
from generators.metrics import METRICS
from tests.plan.samples import ACME, CURRENT, EXAMPLES, FIXTURES, REALCO, validate


@dataclass(frozen=True)
class Expected:
    code: str
    month: str | None
    metric: str | None
    message: str | None


def _expectations(path: Path, key: str) -> list[Expected]:
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(f"# {key}:") or line.strip() == f"# {key}: valid":
            continue
        parts = [p.strip() for p in line.split(":", 1)[1].split("|")]
        code, month, metric = (parts + ["-", "-"])[:3]
        message = parts[3] if len(parts) > 3 else None
        found.append(Expected(code, None if month == "-" else month, None if metric == "-" else metric, message))
    return found


def _tenant(path: Path):
    return REALCO if "# tenant: not-demo" in path.read_text(encoding="utf-8") else ACME


def _matches(issue, expected: Expected) -> bool:
    return (issue.code, issue.month, issue.metric) == (expected.code, expected.month, expected.metric) and (
        expected.message is None or issue.message == expected.message
    )


INVALID = sorted((FIXTURES / "invalid").iterdir())
VALID = sorted((FIXTURES / "valid").iterdir())


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_fixture_reports_exactly_its_errors(path: Path) -> None:
    expected = _expectations(path, "expect")
    assert expected, f"{path.name} declares no '# expect:' line"
    result = validate(read_plan_file(path), _tenant(path))
    assert not result.valid and result.preview is None
    for want in expected:
        assert any(_matches(e, want) for e in result.errors), (want, result.errors)
    assert len(result.errors) == len(expected), result.errors
    assert all(e.code in CODES for e in result.errors)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_passes_with_its_warnings(path: Path) -> None:
    result = validate(read_plan_file(path), _tenant(path))
    assert result.valid, result.errors
    assert result.preview is not None
    if path.suffix == ".yaml":
        wanted = {(w.code, w.month, w.metric) for w in _expectations(path, "warn")}
        assert {(w.code, w.month, w.metric) for w in result.warnings} == wanted


def test_every_error_code_has_a_fixture() -> None:
    covered = {e.code for path in INVALID for e in _expectations(path, "expect")}
    # V-6 weighs the tenant's rows, not its KPIs: tests/engine/test_reconcile.py covers it on a store
    error_codes = {c for c in CODES if not c.startswith("W-") and c not in ("P-0", "V-6")}
    assert error_codes <= covered, error_codes - covered
    warned = {w.code for path in VALID if path.suffix == ".yaml" for w in _expectations(path, "warn")}
    assert {c for c in CODES if c.startswith("W-")} <= warned


def test_negative_count_is_a_coded_error_not_an_exception() -> None:
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": "deltas",
            "months": [{"month": "2025-01", "metrics": {"dealsCreated": -3}}],
        }
    )
    (error,) = validate(plan).errors
    assert error.as_dict() == {
        "code": "V-1",
        "month": "2025-01",
        "metric": "dealsCreated",
        "message": "Cannot reduce dealsCreated in ADDITIVE mode. Computed delta: -3 (2025-01)",
    }


EXAMPLE_CSV = (
    (
        "month,leadsCreated,contactsCreated,companiesCreated,dealsCreated,"
        "closedWonCount,closedWonValue,pipelineAddedValue\n"
    )
    + """2025-01,50,40,10,8,3,25000,75000
2025-02,60,48,12,10,4,32000,96000
2025-03,70,56,14,12,5,40000,120000
"""
)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(EXAMPLES / "first-quarter-2025.yaml", id="example-yaml"),
        pytest.param(FIXTURES / "csv" / "excel-export.csv", id="excel-csv"),
        pytest.param(EXAMPLE_CSV, id="example-csv"),
    ],
)
def test_example_plan_as_deltas_on_empty_months_previews_the_example_numbers(source: Path | str) -> None:
    options = {} if isinstance(source, Path) and source.suffix == ".yaml" else {"tenant": "acme-corp-demo"}
    result = validate(read_plan_file(source, "csv" if isinstance(source, str) else None, **options), current={})
    assert result.valid, result.errors
    total = result.as_dict()["preview"]["total"]
    assert total["records"]["contacts"] == 144
    assert total["records"]["companies"] == 36
    assert total["records"]["deals"] == 30
    assert total["records"]["activities"] == 288
    assert total["records"]["leads"] == 180
    assert total["closedWonValueAdded"] == 97000
    assert total["pipelineValueAdded"] == 291000
    assert total["valuesEstimated"] is False
    months = result.as_dict()["preview"]["months"]
    assert [m["month"] for m in months] == ["2025-01", "2025-02", "2025-03"]
    jan = months[0]
    assert jan["records"] == {
        "leads": 50,
        "contacts": 40,
        "companies": 10,
        "deals": 8,
        "dealsWon": 3,
        "dealsOpen": 3,
        "dealsLost": 2,
        "activities": 80,
        "total": 188,
    }
    assert jan["metrics"]["closedWonValue"] == {
        "before": 0,
        "after": 25000,
        "change": 25000,
        "target": 25000,
        "estimated": False,
    }
    # activitiesCount is not in the plan: it follows the contacts, shown as "no target".
    assert jan["metrics"]["activitiesCount"]["target"] is None
    assert jan["metrics"]["activitiesCount"]["after"] == 80


def test_targets_compute_delta_from_current_kpis() -> None:
    plan = read_plan_file(FIXTURES / "valid" / "targets-partial.yaml")
    result = validate(plan)
    assert result.valid, result.errors
    april = result.deltas["2025-04"]
    assert april["leadsCreated"] == 350 - CURRENT["2025-04"]["leadsCreated"] == 50
    assert april["contactsCreated"] == 40
    assert all(april[m.name] is None for m in METRICS if m.name not in ("leadsCreated", "contactsCreated"))
    may = result.deltas["2025-05"]  # an empty month: delta = target
    assert may["dealsCreated"] == 6 and may["closedWonValue"] == Decimal("18000")
    preview = result.preview
    assert preview is not None
    change = preview.months[0].metrics
    assert (change["leadsCreated"].before, change["leadsCreated"].after) == (300, 350)
    assert change["leadsCreated"].planned
    assert not change["activitiesCount"].planned  # "no target"
    assert change["activitiesCount"].after == 500 + 2 * 40


def test_targets_money_delta_keeps_cents() -> None:
    # 2025-04 holds 100,000.00 won of a 300,000.00 pipeline.
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": "targets",
            "months": [
                {
                    "month": "2025-04",
                    "metrics": {
                        "dealsCreated": 42,
                        "closedWonCount": 11,
                        "closedWonValue": "110000.25",
                        "pipelineAddedValue": 330000.25,
                    },
                }
            ],
        }
    )
    result = validate(plan)
    assert result.valid, result.errors
    assert result.deltas["2025-04"]["closedWonValue"] == Decimal("10000.25")
    assert result.deltas["2025-04"]["pipelineAddedValue"] == Decimal("30000.25")
    assert result.deltas["2025-04"]["dealsCreated"] == 2


def test_estimated_values_are_flagged_when_the_plan_leaves_them_free() -> None:
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": "deltas",
            "months": [{"month": "2025-01", "metrics": {"dealsCreated": 5, "closedWonCount": 2}}],
        }
    )
    result = validate(plan)
    assert result.valid, result.errors
    month = result.as_dict()["preview"]["months"][0]
    assert month["valuesEstimated"] is True
    assert month["closedWonValueAdded"] == 20000  # 2 won deals at the typical 10,000


def test_preview_matches_the_plan_for_every_planned_metric() -> None:
    for path in [*EXAMPLES.glob("*.yaml"), *VALID]:
        result = validate(read_plan_file(path), current={} if path.parent == EXAMPLES else CURRENT)
        assert result.preview is not None, path
        for month in result.preview.months:
            for name, change in month.metrics.items():
                delta = result.deltas[month.month][name]
                if change.planned:
                    assert change.change == delta, (path.name, month.month, name)


def test_targets_feasibility_is_judged_on_the_deltas() -> None:
    # Won money added is pipeline added too: +10,000 won cannot fit in +0.25 of pipeline.
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": "targets",
            "months": [
                {
                    "month": "2025-04",
                    "metrics": {
                        "closedWonCount": 11,
                        "closedWonValue": 110000,
                        "pipelineAddedValue": 300000.25,
                    },
                }
            ],
        }
    )
    (error,) = validate(plan).errors
    assert error.code == "F-1"
    assert error.message.startswith("pipelineAddedValue (0.25) cannot be below closedWonValue (10000)")
    assert "current" in error.message


def test_reconcile_takes_negative_deltas_but_not_on_a_tenant_that_is_not_demo() -> None:
    plan = read_plan_file(FIXTURES / "invalid" / "v7-reconcile-mixed-contradiction.yaml")
    codes = [e.code for e in validate(plan, REALCO).errors]
    assert codes == ["V-3", "V-7"]


# --- property: validation never raises, whatever numbers a plan holds ------------------------

_values = st.one_of(
    st.none(),
    st.integers(min_value=-(10**6), max_value=10**7),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.sampled_from([Decimal("0.01"), Decimal(0), Decimal("1e30"), Decimal("-1e-30")]),
)
_months = st.sampled_from(["2023-11", "2023-12", "2025-01", "2025-04", "2025-06", "2025-07"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    months=st.lists(
        st.tuples(_months, st.fixed_dictionaries({}, optional={m.name: _values for m in METRICS})),
        max_size=4,
    ),
    plan_type=st.sampled_from(["deltas", "targets"]),
    mode=st.sampled_from(["additive", "reconcile"]),
)
def test_validation_never_raises(months, plan_type, mode) -> None:
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": mode,
            "planType": plan_type,
            "months": [
                {"month": m, "metrics": {k: v for k, v in metrics.items() if v is not None}} for m, metrics in months
            ],
        }
    )
    result = validate(plan)
    payload = result.as_dict()
    assert payload["valid"] == (not result.errors)
    assert all(e.code in CODES for e in result.errors + result.warnings)
    if result.valid:
        assert payload["preview"] is not None
