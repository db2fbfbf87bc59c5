"""Property tests: any feasible plan's targets are met exactly, and every rule holds on the rows."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from generators import AllocationError, allocate_month, companies_before, generate_plan
from generators.month import Delta
from tests.generators.checks import (
    AS_OF,
    JOB,
    assert_all_rules,
    assert_targets_met,
    existing_tenant,
    make_ctx,
)
from tests.helpers import example_months

MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")


@st.composite
def month_deltas(draw: st.DrawFn) -> dict[str, Delta]:
    deals = draw(st.none() | st.integers(0, 40))
    won = draw(st.integers(0, deals or 0))
    cents = st.integers(won * 100 + 1, 400_000_00).map(lambda c: Decimal(c) / 100)
    won_value = draw(st.none() | cents) if won else draw(st.none() | st.just(Decimal(0)))
    pipeline = draw(st.none() | st.integers(0, 900_000_00).map(lambda c: Decimal(c) / 100))
    if pipeline is not None and won_value is not None:
        pipeline += won_value  # pipeline includes the won money
    deltas: dict[str, Delta] = {
        "leadsCreated": draw(st.none() | st.integers(0, 300)),
        "contactsCreated": draw(st.none() | st.integers(0, 300)),
        "companiesCreated": draw(st.none() | st.integers(1, 60)),
        "dealsCreated": deals,
        "closedWonCount": won if won or draw(st.booleans()) else None,
        "closedWonValue": won_value,
        "pipelineAddedValue": pipeline,
        "activitiesCount": draw(st.none() | st.integers(0, 400)),
    }
    try:  # keep only plans validation would accept
        alloc = allocate_month(deltas, companies_available=1)
    except AllocationError:
        assume(False)
    for total, count in ((alloc.won_value, alloc.deals_won), (alloc.open_value, alloc.deals_open)):
        assume(total is None or total * 100 >= count)
    return deltas


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(plan=st.lists(month_deltas(), min_size=1, max_size=3), existing=st.booleans(), seed=st.integers(0, 2**32))
def test_any_feasible_plan_is_met_exactly_and_realistically(plan, existing, seed):
    ctx = existing_tenant() if existing else make_ctx()
    months = list(zip(MONTHS, plan, strict=False))
    if not existing:  # an empty tenant's deals and activities need people created first
        people = 0
        for _, deltas in months:
            people += (deltas["leadsCreated"] or 0) + (deltas["contactsCreated"] or 0)
            wants = allocate_month(deltas, companies_available=1)
            assume(people or not (wants.deals or wants.activities))
    frames = generate_plan(months, ctx, as_of=AS_OF, job_id=JOB, seed=seed)
    assert_targets_met(frames, ctx.timezone, months)
    assert_all_rules(frames, ctx)


@pytest.mark.parametrize("existing", [True, False])
def test_counts_equal_the_allocation_the_preview_shows(existing):
    """The preview allocates months in calendar order, counting the tenant's companies from
    before the first month plus the plan's own; months may come in any order."""
    ctx = existing_tenant() if existing else make_ctx()
    plan = [
        ("2025-04", {"leadsCreated": 20, "dealsCreated": 3}),
        ("2025-02", {"leadsCreated": 60, "contactsCreated": 48, "pipelineAddedValue": 96000}),
        ("2025-03", {"contactsCreated": 12, "companiesCreated": 0}),
    ]
    frames = generate_plan(plan, ctx, as_of=AS_OF, job_id=JOB, seed=7)
    available = companies_before(ctx, "2025-02")
    for month, deltas in sorted(plan):
        alloc = allocate_month(deltas, companies_available=available, typical_deal_size=ctx.typical_deal_size)
        available += alloc.companies
        in_month = {e: f.filter(pl.col("demo_source_month") == month) for e, f in frames}
        assert in_month["contacts"].height == alloc.leads + alloc.non_lead_contacts
        assert in_month["companies"].height == alloc.companies
        assert in_month["deals"].height == alloc.deals
        assert in_month["activities"].height == alloc.activities
        won = in_month["deals"].filter(pl.col("stage_id") == "st-won")
        lost = in_month["deals"].filter(pl.col("stage_id") == "st-lost")
        assert (won.height, lost.height) == (alloc.deals_won, alloc.deals_lost)


def test_example_plan_gives_the_example_totals():
    """The example plan (2025-01…03): 144 contacts, 36 companies, 30 deals, 288 activities, $97,000 won."""
    plan: list[tuple[str, dict[str, Delta]]] = [(m, dict(metrics)) for m, metrics in example_months().items()]
    ctx = make_ctx()
    frames = generate_plan(plan, ctx, as_of=AS_OF, job_id=JOB, seed="example")
    non_leads = frames.contacts.filter(pl.col("status") != "lead").height
    assert non_leads == 144
    assert frames.counts() == {"companies": 36, "contacts": 144 + 180, "deals": 30, "activities": 288}
    won = frames.deals.filter(pl.col("stage_id") == "st-won")["value"].sum()
    assert won == Decimal("97000.00")
    assert_targets_met(frames, ctx.timezone, plan)
    assert_all_rules(frames, ctx)
