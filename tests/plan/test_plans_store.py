"""Plans against a real store on both backends: TARGETS deltas from the KPI model, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from flows.engine.steps import prepare
from flows.plan.model import PatchPlan
from flows.plan.quick_fill import GrownPlan, grow_plan
from flows.store import Store, open_store
from flows.store.tenants import Tenant
from generators.errors import DemogenError, UsageError
from tests.cli.test_cli import run
from tests.helpers import insert_rows, insert_tenant, stage_id, table_digest
from tests.plan.samples import EXAMPLES, FIXTURES

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def seed_april(store: Store, tenant: Tenant) -> None:
    """April 2025 (New York time) holds 3 leads, 2 contacts, 1 company, 4 deals, 2 activities.

    A company from March makes companies exist before April; a deal at 23:30 on
    31 March New York time is already April in UTC, and must count for March.
    """
    t = tenant.id
    march, company = insert_rows(
        store,
        "companies",
        [
            {"tenant_id": t, "name": "Old Co", "created_at": at("2025-03-10T10:00:00-04:00")},
            {"tenant_id": t, "name": "New Co", "created_at": at("2025-04-02T10:00:00-04:00")},
        ],
    )
    contacts = insert_rows(
        store,
        "contacts",
        [
            {
                "tenant_id": t,
                "company_id": company,
                "status": status,
                "created_at": at(f"2025-04-0{n + 3}T10:00:00-04:00"),
            }
            for n, status in enumerate(["lead", "lead", "lead", "customer", "prospect"])
        ],
    )
    deals = [("Won", "1000.00"), ("Won", "2000.00"), ("Proposal", "500.00"), ("Lost", "300.00")]
    deal_ids = insert_rows(
        store,
        "deals",
        [
            {
                "tenant_id": t,
                "contact_id": contacts[3],
                "company_id": company,
                "stage_id": stage_id(t, stage),
                "value": Decimal(value),
                "name": f"deal {n}",
                "created_at": at(f"2025-04-1{n}T11:00:00-04:00"),
            }
            for n, (stage, value) in enumerate(deals)
        ]
        + [
            {
                "tenant_id": t,
                "company_id": march,
                "stage_id": stage_id(t, "Won"),
                "value": Decimal("99999.00"),
                "name": "late march",
                "created_at": at("2025-03-31T23:30:00-04:00"),
            }
        ],
    )
    insert_rows(
        store,
        "activities",
        [
            {
                "tenant_id": t,
                "contact_id": contacts[3],
                "deal_id": deal_ids[0],
                "subject": f"call {n}",
                "created_at": at(f"2025-04-2{n}T09:00:00-04:00"),
            }
            for n in range(2)
        ],
    )


@pytest.fixture
def acme(store: Store) -> Tenant:
    tenant = insert_tenant(store, slug="acme-corp-demo", name="Acme Corp Demo", timezone="America/New_York")
    seed_april(store, tenant)
    return tenant


def test_targets_against_a_month_with_data_compute_the_right_deltas(store: Store, acme: Tenant) -> None:
    plan = PatchPlan.model_validate(
        {
            "tenant": "acme-corp-demo",
            "mode": "additive",
            "planType": "targets",
            "months": [
                {
                    "month": "2025-04",
                    "metrics": {
                        "leadsCreated": 5,
                        "contactsCreated": 4,
                        "dealsCreated": 6,
                        "closedWonCount": 3,
                        "closedWonValue": 4500,
                        "pipelineAddedValue": 6000.50,
                    },
                },
                {"month": "2025-05", "metrics": {"leadsCreated": 7}},
            ],
        }
    )
    checked = prepare(store, plan, as_of=NOW)
    assert checked.tenant == acme
    assert checked.validation.valid, checked.validation.errors
    assert checked.before["2025-04"]["dealsCreated"] == 4
    assert checked.before["2025-04"]["pipelineAddedValue"] == Decimal("3500.00")
    assert checked.validation.deltas["2025-04"] == {
        "leadsCreated": 2,
        "contactsCreated": 2,
        "companiesCreated": None,
        "dealsCreated": 2,
        "closedWonCount": 1,
        "closedWonValue": Decimal("1500.00"),
        "pipelineAddedValue": Decimal("2500.50"),
        "activitiesCount": None,
    }
    assert checked.validation.deltas["2025-05"]["leadsCreated"] == 7
    april = checked.validation.preview.months[0]  # type: ignore[union-attr]
    assert april.metrics["dealsCreated"].before == 4 and april.metrics["dealsCreated"].after == 6
    assert april.records.companies == 0  # Old Co exists from March: no company made as a consequence


def test_targets_below_current_data_are_refused_with_v1(store: Store, acme: Tenant) -> None:
    plan = PatchPlan.model_validate(
        {
            "tenant": acme.id,
            "mode": "additive",
            "planType": "targets",
            "months": [{"month": "2025-04", "metrics": {"leadsCreated": 1}}],
        }
    )
    (error,) = prepare(store, plan, as_of=NOW).validation.errors
    assert error.message == "Cannot reduce leadsCreated in ADDITIVE mode. Computed delta: -2 (2025-04)"


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def seeded(database_url: str) -> str:
    with open_store(database_url) as store:
        tenant = insert_tenant(store, slug="acme-corp-demo", name="Acme Corp Demo", timezone="America/New_York")
        seed_april(store, tenant)
        insert_tenant(store, slug="realco", demo_generated=False)
    return database_url


def test_validate_example_plan_json(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "first-quarter-2025.yaml")
    code, out, _ = run(["validate", path, "--database", seeded, "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert set(payload) == {"valid", "errors", "warnings", "preview"}
    assert payload["valid"] is True and payload["errors"] == []
    total = payload["preview"]["total"]
    assert (total["records"]["contacts"], total["records"]["companies"], total["records"]["deals"]) == (144, 36, 30)
    assert total["closedWonValueAdded"] == 97000


def test_validate_for_people_shows_the_preview(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["validate", str(EXAMPLES / "first-quarter-2025.yaml"), "--database", seeded], capsys)
    assert code == 0
    assert "Estimated records to create" in out and "$97,000" in out
    assert "All metrics valid for ADDITIVE mode" in out


def test_validate_invalid_plan_exits_1_with_coded_errors(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "invalid" / "all-at-once.yaml")
    with open_store(seeded) as store:
        before = table_digest(store)
    code, out, err = run(["validate", path, "--database", seeded, "--json"], capsys)
    assert code == 1
    payload = json.loads(out)
    assert payload["valid"] is False and payload["preview"] is None
    assert {e["code"] for e in payload["errors"]} == {"V-1", "P-3", "V-2", "V-4", "F-1"}
    assert "error:" in err and "invalid" in err
    code, out, _ = run(["validate", path, "--database", seeded], capsys)
    assert code == 1 and "V-4" in out and "closedWonCount (2) cannot exceed dealsCreated (1)" in out
    with open_store(seeded) as store:
        assert table_digest(store) == before


def test_validate_not_demo_tenant(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "realco.csv"
    plan.write_text("month,leadsCreated\n2025-01,5\n", encoding="utf-8")
    code, out, _ = run(["validate", str(plan), "--tenant", "realco", "--database", seeded, "--json"], capsys)
    assert code == 1
    assert [e["code"] for e in json.loads(out)["errors"]] == ["V-3"]


def test_validate_unreadable_plan(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("month,leadsCreated\n2025-01,lots\n", encoding="utf-8")
    code, out, err = run(["validate", str(bad), "--tenant", "acme-corp-demo", "--database", seeded, "--json"], capsys)
    assert code == 1
    (error,) = json.loads(out)["errors"]
    assert error["code"] == "P-0" and "row 2, column leadsCreated" in error["message"]
    code, _, err = run(["validate", str(bad), "--database", seeded], capsys)
    assert code == 2 and "--tenant" in err  # a CSV needs --tenant: a usage error


def test_plan_from_csv_writes_yaml(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = FIXTURES / "csv" / "excel-export.csv"
    output = tmp_path / "plan.yaml"
    code, _, err = run(
        ["plan", "from-csv", str(source), "--tenant", "acme-corp-demo", "-o", str(output), "--database", seeded],
        capsys,
    )
    assert code == 0, err
    data = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert data["planType"] == "deltas" and data["months"][0]["metrics"]["closedWonValue"] == 25000
    code, out, _ = run(["validate", str(output), "--database", seeded, "--json"], capsys)
    assert code == 0 and json.loads(out)["preview"]["total"]["closedWonValueAdded"] == 97000


def test_plan_from_csv_refuses_an_invalid_plan(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "plan.csv"
    source.write_text("month,dealsCreated,closedWonCount\n2025-01,1,2\n", encoding="utf-8")
    output = tmp_path / "plan.yaml"
    code, out, err = run(
        ["plan", "from-csv", str(source), "--tenant", "acme-corp-demo", "-o", str(output), "--database", seeded],
        capsys,
    )
    assert code == 1 and not output.exists() and out == ""
    assert "closedWonCount (2) cannot exceed dealsCreated (1)" in err


def test_plan_grow_from_the_latest_month(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        [
            "plan",
            "grow",
            "--tenant",
            "acme-corp-demo",
            "--from",
            "2025-05",
            "--months",
            "2",
            "--pct",
            "50",
            "--database",
            seeded,
        ],
        capsys,
    )
    assert code == 0, err
    plan = yaml.safe_load(out)
    assert plan["planType"] == "targets" and [m["month"] for m in plan["months"]] == ["2025-05", "2025-06"]
    may = plan["months"][0]["metrics"]  # April x 1.5: 3 leads -> 5 (4.5 rounds up), 4 deals -> 6
    assert (may["leadsCreated"], may["dealsCreated"], may["closedWonValue"]) == (5, 6, 4500)
    assert "from 2025-04" in err


# --- Quick Fill: the base month -------------------------------------------------------------

IN_APRIL = datetime(2025, 4, 20, 12, tzinfo=UTC)


def _grow(store: Store, as_of: datetime, base_month: str | None = None) -> GrownPlan:
    return grow_plan(
        store, "acme-corp-demo", first_month="2025-07", months=1, pct=10, base_month=base_month, as_of=as_of
    )


def test_quick_fill_grows_from_the_latest_complete_month_with_data(store: Store, acme: Tenant) -> None:
    grown = _grow(store, NOW)
    assert (grown.base_month, grown.tenant) == ("2025-04", acme)  # May is empty, June not over
    assert grown.plan.months[0].values()["leadsCreated"] == 3  # April's 3 leads x 1.1, rounded
    # In April, April is not over: the latest complete month with data is March.
    assert _grow(store, IN_APRIL).base_month == "2025-03"
    assert _grow(store, NOW, base_month="2025-03").base_month == "2025-03"


@pytest.mark.parametrize(
    ("as_of", "base_month", "message"),
    [
        (NOW, "2025-02", "base month 2025-02 has no data: choose a month with data, e.g. --base 2025-04"),
        (NOW, "2025-05", "base month 2025-05 has no data: choose a month with data, e.g. --base 2025-04"),
        (
            NOW,
            "2025-06",
            "base month 2025-06 is not over yet: choose a finished month with data, e.g. --base 2025-04",
        ),
        (
            IN_APRIL,
            "2025-04",
            "base month 2025-04 is not over yet: choose a finished month with data, e.g. --base 2025-03",
        ),
        (
            datetime(2025, 3, 20, tzinfo=UTC),
            None,
            "tenant acme-corp-demo has no complete month with data to grow from",
        ),
        (
            datetime(2025, 3, 20, tzinfo=UTC),
            "2025-02",
            "base month 2025-02 has no data: choose a month with data",
        ),
    ],
)
def test_quick_fill_refuses_a_partial_or_empty_base_month(
    store: Store, acme: Tenant, as_of: datetime, base_month: str | None, message: str
) -> None:
    with pytest.raises(DemogenError) as info:
        _grow(store, as_of, base_month)
    assert str(info.value) == message


def test_quick_fill_refuses_a_malformed_base_month(store: Store, acme: Tenant) -> None:
    with pytest.raises(UsageError) as info:
        _grow(store, NOW, "April")
    assert str(info.value) == "'April' is not a valid month: expected YYYY-MM from 1900-01 to 2999-12, e.g. 2025-01"
