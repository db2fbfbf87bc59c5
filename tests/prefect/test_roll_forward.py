"""roll_forward: business-hours pro rata, always-valid TARGETS, idempotent re-runs, catch-up, failure isolation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.kpis.reads import monthly_kpis
from flows.plan.feasibility import nearest_feasible
from flows.plan.model import PatchPlan
from flows.plan.roll_forward import TARGETED, OptIn, business_hours_share, load_config
from flows.plan.rules import validate_plan
from flows.plan.templates import load_template, month_metrics
from flows.roll_forward import roll_forward
from flows.store import open_store
from flows.store.jobs import list_jobs
from flows.store.tenants import Tenant, resolve_tenant
from generators.calendar import month_range
from generators.errors import DemogenError
from tests.helpers import present
from tests.prefect.conftest import SLUG, artifacts_of

NY = "America/New_York"
AS_OF = datetime(2025, 2, 12, 20, 0, tzinfo=UTC)  # Wednesday 15:00 in New York
LATER = datetime(2025, 3, 5, 20, 0, tzinfo=UTC)  # three weeks later: a run or two were missed
TEMPLATE = load_template("steady-growth")


# --- plain functions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, share",
    [
        (datetime(2025, 2, 1, 17, 0, tzinfo=UTC), "0"),  # Saturday 1st: no business hour yet
        (datetime(2025, 2, 3, 18, 0, tzinfo=UTC), "0.025"),  # Monday 3rd 13:00: 5 of 200 hours
        (AS_OF, "0.385"),  # 7 full weekdays and 7 hours: 77 of 200
        (datetime(2025, 2, 28, 23, 30, tzinfo=UTC), "1"),  # after the last close
        (datetime(2025, 3, 3, 12, 0, tzinfo=UTC), "1"),  # a finished month
    ],
)
def test_business_hours_share_counts_weekday_hours_in_the_tenant_timezone(as_of: datetime, share: str) -> None:
    assert business_hours_share("2025-02", as_of, NY) == Decimal(share)


def test_business_hours_share_spans_a_dst_change() -> None:
    # March 2025 in New York: 21 weekdays, clocks forward on the 9th; 08:00-18:00 stays ten hours.
    assert business_hours_share("2025-03", datetime(2025, 3, 10, 22, 0, tzinfo=UTC), NY) == (
        Decimal(6 * 10) / 210
    ).quantize(Decimal("0.0001"))


def test_the_config_in_git_opts_in_the_demo_tenant() -> None:
    assert [(t.tenant, t.template) for t in load_config().tenants] == [("acme-corp-demo", "steady-growth")]


TENANT = Tenant(
    id="00000000-0000-4000-8000-000000000001",
    name="Acme",
    slug="acme",
    demo_generated=True,
    timezone="UTC",
    locale="en_US",
    currency="USD",
    created_at=datetime(2024, 1, 1, tzinfo=UTC),
)


@st.composite
def feasible_month(draw: st.DrawFn) -> dict[str, Any]:
    """KPIs a real month can hold: won deals among deals, value on won deals, pipeline ≥ won value."""
    deals = draw(st.integers(0, 30))
    won = draw(st.integers(0, deals))
    won_value = Decimal(draw(st.integers(won, won * 500))) * 100 if won else Decimal(0)
    open_value = Decimal(draw(st.integers(0, 3000))) * 100 if deals > won else Decimal(0)
    return {
        "leadsCreated": draw(st.integers(0, 120)),
        "contactsCreated": draw(st.integers(0, 90)),
        "companiesCreated": draw(st.integers(0, 20)),
        "dealsCreated": deals,
        "closedWonCount": won,
        "closedWonValue": won_value,
        "pipelineAddedValue": won_value + open_value,
        "activitiesCount": draw(st.integers(0, 200)),
    }


@settings(max_examples=150, deadline=None)
@given(
    current=feasible_month(),
    step=st.integers(0, 24),
    scale=st.decimals(min_value=0, max_value=1, places=4),
)
def test_nearest_feasible_targets_always_pass_validation_and_never_go_below_current(
    current: dict[str, Any], step: int, scale: Decimal
) -> None:
    month = "2025-06"
    first = month_range("2023-06", month)[-1 - step]
    targets = nearest_feasible(month_metrics(TEMPLATE, month, first, scale=scale), current)
    plan = PatchPlan.model_validate(
        {"tenant": "acme", "mode": "additive", "planType": "targets", "months": [{"month": month, "metrics": targets}]}
    )
    result = validate_plan(
        plan,
        TENANT,
        {month: current},
        now=datetime(2025, 7, 1, tzinfo=UTC),
        typical_deal_size=Decimal(9000),
        companies_existing=5,
    )
    assert result.valid, [e.message for e in result.errors]
    assert all(Decimal(str(targets[n])) >= Decimal(str(current[n])) for n in TARGETED)


def test_nearest_feasible_keeps_a_met_target_at_current() -> None:
    current = month_metrics(TEMPLATE, "2025-01", "2024-01") | {"activitiesCount": 0}
    assert nearest_feasible(month_metrics(TEMPLATE, "2025-01", "2024-01", scale=Decimal("0.5")), current) == {
        n: current[n] for n in TARGETED
    }


# --- the flow ------------------------------------------------------------------------------


def kpis(database_url: str, first: str, last: str) -> dict[str, dict[str, Any]]:
    with open_store(database_url) as store:
        return monthly_kpis(store, resolve_tenant(store, SLUG), first, last)


def targeted(values: dict[str, Any]) -> dict[str, Decimal]:
    return {n: Decimal(str(values[n])) for n in TARGETED}


@pytest.mark.usefixtures("prefect_api")
def test_roll_forward_fills_each_month_to_its_target_and_a_rerun_adds_nothing(acme: str) -> None:
    rows = roll_forward(database_url=acme, as_of=AS_OF)

    assert [(r["tenant"], r["status"], r["months"]) for r in rows] == [(SLUG, "rolled forward", "2024-11 … 2025-02")]
    assert rows[0]["recordsCreated"] > 0
    after = kpis(acme, "2024-11", "2025-02")
    for month in ("2024-11", "2024-12", "2025-01"):  # finished months: 100% of the growth curve from 2024-11
        assert targeted(after[month]) == targeted(month_metrics(TEMPLATE, month, "2024-11")), month
    share = business_hours_share("2025-02", AS_OF, NY)
    assert targeted(after["2025-02"]) == targeted(month_metrics(TEMPLATE, "2025-02", "2024-11", scale=share))

    again = roll_forward(database_url=acme, as_of=AS_OF)

    assert [(r["status"], r["recordsCreated"]) for r in again] == [("up to date", 0)]
    assert kpis(acme, "2024-11", "2025-02") == after
    with open_store(acme) as store:
        assert len(list_jobs(store)) == 1


@pytest.mark.usefixtures("prefect_api")
@pytest.mark.parametrize("backend", ["duckdb"])
def test_a_missed_run_catches_up_and_one_tenant_failing_spares_the_others(acme: str) -> None:
    roll_forward(database_url=acme, as_of=AS_OF)
    tenants = [OptIn(tenant="no-such-tenant", template="steady-growth"), OptIn(tenant=SLUG, template="steady-growth")]

    state = roll_forward(database_url=acme, tenants=tenants, as_of=LATER, return_state=True)

    assert state.is_failed()
    with pytest.raises(DemogenError, match="roll-forward failed for 1 of 2 tenants: no-such-tenant: unknown tenant"):
        state.result()
    rows = artifacts_of(present(state.state_details.flow_run_id))["roll-forward"]
    assert [(r["tenant"], r["status"]) for r in rows] == [("no-such-tenant", "failed"), (SLUG, "rolled forward")]
    after = kpis(acme, "2025-01", "2025-03")
    full = targeted(month_metrics(TEMPLATE, "2025-02", "2024-11"))
    caught_up = targeted(after["2025-02"])
    # February is finished now: every target reached (a won deal more where the money lagged the count)
    assert all(caught_up[n] >= full[n] for n in TARGETED), (caught_up, full)
    assert {n: caught_up[n] for n in ("leadsCreated", "contactsCreated", "companiesCreated")} == {
        n: full[n] for n in ("leadsCreated", "contactsCreated", "companiesCreated")
    }
    assert after["2025-03"]["leadsCreated"] > 0
    assert [r["status"] for r in roll_forward(database_url=acme, as_of=LATER)] == ["up to date"]
