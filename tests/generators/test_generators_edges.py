"""Edge cases: empty tenants, zero and money-only months, a huge month, and clear refusals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import polars as pl
import pytest

from generators import SCHEMAS, GenerationError, Stage, TenantContext, generate_month, generate_plan
from generators.month import Delta
from tests.generators.checks import (
    AS_OF,
    EXAMPLE_JANUARY,
    JOB,
    STAGES,
    assert_all_rules,
    assert_targets_met,
    existing_tenant,
    make_ctx,
)


@pytest.mark.parametrize("deltas", [{}, dict.fromkeys(EXAMPLE_JANUARY, 0), dict.fromkeys(EXAMPLE_JANUARY)])
def test_a_zero_delta_month_creates_nothing(deltas):
    frames = generate_month("2025-01", deltas, existing_tenant(), as_of=AS_OF, job_id=JOB, seed=1)
    assert frames.counts() == {"companies": 0, "contacts": 0, "deals": 0, "activities": 0}
    for entity, frame in frames:
        assert frame.schema == pl.Schema(SCHEMAS[entity])


def test_an_empty_tenant_gets_companies_before_its_people():
    ctx = make_ctx()
    frames = generate_month("2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert_targets_met(frames, ctx.timezone, [("2025-01", EXAMPLE_JANUARY)])
    assert_all_rules(frames, ctx)
    assert frames.contacts["company_id"].is_in(frames.companies["id"].implode()).all()
    # Every new company gets a contact when there are enough people.
    assert frames.companies["id"].is_in(frames.contacts["company_id"].implode()).all()


def test_an_empty_tenant_without_a_company_target_gets_companies_for_its_people():
    ctx = make_ctx()
    deltas = {"leadsCreated": 30, "contactsCreated": 10, "dealsCreated": 5}
    frames = generate_month("2025-01", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert frames.companies.height == 10  # one per four people
    assert_all_rules(frames, ctx)


def test_later_months_of_a_plan_build_on_earlier_ones():
    ctx = make_ctx()
    plan = [
        ("2025-01", {"contactsCreated": 20, "companiesCreated": 5}),
        ("2025-02", {"dealsCreated": 12, "closedWonCount": 4, "activitiesCount": 30}),
    ]
    frames = generate_plan(plan, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert_targets_met(frames, ctx.timezone, plan)
    assert_all_rules(frames, ctx)
    february = frames.deals.filter(pl.col("demo_source_month") == "2025-02")
    assert february["contact_id"].is_in(frames.contacts["id"].implode()).all()


def test_a_month_of_100_000_records():
    deltas = {
        "leadsCreated": 40_000,
        "contactsCreated": 20_000,
        "companiesCreated": 5_000,
        "dealsCreated": 5_000,
        "closedWonCount": 2_000,
        "closedWonValue": 24_000_000,
        "pipelineAddedValue": 60_000_000.55,
        "activitiesCount": 30_000,
    }
    ctx = existing_tenant()
    frames = generate_month("2025-03", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert frames.records == 100_000
    assert_targets_met(frames, ctx.timezone, [("2025-03", deltas)])
    assert_all_rules(frames, ctx)


def _fails(
    deltas: Mapping[str, Delta],
    ctx: TenantContext,
    match: str,
    month: str = "2025-01",
    as_of: datetime = AS_OF,
) -> None:
    with pytest.raises(GenerationError, match=match) as error:
        generate_month(month, deltas, ctx, as_of=as_of, job_id=JOB, seed=1)
    assert "\n" not in str(error.value)
    assert isinstance(error.value, ValueError)


def test_deals_without_any_contact_are_refused():
    _fails(
        {"dealsCreated": 5}, make_ctx(), r"^2025-01: dealsCreated \(5\) needs a contact, but none exists or is created$"
    )
    _fails(
        {"pipelineAddedValue": 5000},
        make_ctx(),
        r"^2025-01: pipelineAddedValue \(5000\) needs a contact, but none exists or is created$",
    )


def test_activities_without_any_contact_are_refused():
    _fails({"activitiesCount": 3}, make_ctx(), r"^2025-01: activitiesCount \(3\) needs a contact")


def test_people_without_any_company_are_refused():
    _fails(
        {"contactsCreated": 4, "companiesCreated": 0}, make_ctx(), r"^2025-01: contactsCreated \(4\) needs a company"
    )


def test_allocation_errors_name_the_month():
    _fails(
        {"dealsCreated": 2, "closedWonCount": 3},
        existing_tenant(),
        r"^2025-01: closedWonCount \(3\) cannot exceed dealsCreated \(2\)$",
    )
    _fails({"closedWonValue": 25000}, existing_tenant(), r"^2025-01: closedWonValue requires closedWonCount > 0$")


def test_money_too_small_to_share_is_refused():
    _fails(
        {"dealsCreated": 3, "closedWonCount": 3, "closedWonValue": Decimal("0.02")},
        existing_tenant(),
        r"^2025-01: closedWonValue \(0.02\) cannot give 3 won deals at least 0.01 each$",
    )


def test_a_missing_stage_is_refused():
    no_won = replace(make_ctx(), stages=tuple(s for s in STAGES if not s.is_won))
    _fails(
        {"dealsCreated": 2, "closedWonCount": 1, "contactsCreated": 2},
        no_won,
        r"^2025-01: closedWonCount needs 1 won deals, but the tenant has no won stage$",
    )


@pytest.mark.parametrize(
    ("month", "ctx_changes", "kwargs", "match"),
    [
        ("2025-13", {}, {}, r"^'2025-13' is not a month"),
        ("2025-01", {"timezone": "Mars/Olympus"}, {}, r"timezone 'Mars/Olympus' is unknown"),
        ("2025-01", {"locale": "xx_XX"}, {}, r"^2025-01: tenant unknown locale 'xx_XX'$"),
        ("2025-01", {}, {"as_of": datetime(2025, 7, 1)}, r"as_of must be timezone-aware"),
    ],
)
def test_bad_inputs_are_refused_clearly(month, ctx_changes, kwargs, match):
    ctx = replace(existing_tenant(), **ctx_changes)
    _fails({"leadsCreated": 1}, ctx, match, month=month, **kwargs)


def test_stage_and_context_contract():
    stage = Stage("id", "Won", 1, True, False)
    ctx = make_ctx()
    assert ctx.won_stages[0].id == "st-won" and stage.is_won
    assert {s.id for s in ctx.open_stages} == {"st-qualified", "st-proposal", "st-negotiation"}


def test_deals_go_to_contacts_who_are_not_leads_and_make_them_customers():
    ctx = existing_tenant()
    deltas = {**EXAMPLE_JANUARY, "dealsCreated": 40, "closedWonCount": 15}
    frames = generate_month("2025-01", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    statuses = pl.concat([ctx.contacts.select("id", "status"), frames.contacts.select("id", "status")])
    buyers = frames.deals.join(statuses, left_on="contact_id", right_on="id")
    assert buyers.height == 40 and (buyers["status"] != "lead").all()
    won = frames.deals.filter(pl.col("stage_id") == "st-won")["contact_id"]
    new_winners = frames.contacts.filter(pl.col("id").is_in(won.implode()))
    assert new_winners.height and (new_winners["status"] == "customer").all()


def test_each_new_non_lead_contact_gets_two_activities_by_default():
    ctx = existing_tenant()
    frames = generate_month("2025-01", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    per_contact = frames.activities.group_by("contact_id").len()
    non_leads = frames.contacts.filter(pl.col("status") != "lead")["id"]
    assert set(per_contact["contact_id"]) == set(non_leads)
    assert (per_contact["len"] == 2).all()


def test_an_activity_target_is_met_exactly_over_new_and_existing_contacts():
    ctx = existing_tenant()
    deltas = {**EXAMPLE_JANUARY, "activitiesCount": 300}
    frames = generate_month("2025-01", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    assert frames.activities.height == 300
    on_existing = frames.activities["contact_id"].is_in(ctx.contacts["id"].implode())
    assert 0 < on_existing.sum() < 300
    fewer = generate_month("2025-01", {**EXAMPLE_JANUARY, "activitiesCount": 15}, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    assert fewer.activities.height == 15
