"""A pipeline that ages and activities that tell each deal's story: cycles, stages by age, subjects, names."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from generators import ACTIVITY_TYPES, Stage, allocate_month, generate_month, generate_plan
from generators.month import Delta
from generators.story import (
    CUSTOMER_SUBJECTS,
    FIRST_TOUCH_SUBJECTS,
    NEUTRAL_SUBJECTS,
    STEP_SUBJECTS,
    SUBJECT_STEPS,
    stage_levels,
)
from tests.generators.checks import (
    AS_OF,
    EXAMPLE_JANUARY,
    JOB,
    OPEN,
    assert_all_rules,
    assert_targets_met,
    existing_tenant,
    local,
    make_ctx,
    mean,
    median,
)

# A steady-growth year of a template tenant, without an activity target (two per new contact).
YEAR: list[tuple[str, dict[str, Delta]]] = [
    (
        f"{2024 + (6 + i) // 12}-{(6 + i) % 12 + 1:02d}",
        {
            "leadsCreated": 40,
            "contactsCreated": 30,
            "companiesCreated": 8,
            "dealsCreated": 8,
            "closedWonCount": 3,
            "closedWonValue": 27000,
            "pipelineAddedValue": 72000,
        },
    )
    for i in range(12)
]
STAGE_ORDER = ["st-qualified", "st-proposal", "st-negotiation"]


@pytest.fixture(scope="module")
def year():
    ctx = make_ctx()
    return ctx, generate_plan(YEAR, ctx, as_of=AS_OF, job_id=JOB, seed="story")


def _stage(position: int, name: str, *, won: bool = False, lost: bool = False) -> Stage:
    return Stage(f"s{position}", name, position, won, lost)


@pytest.mark.parametrize(
    ("open_names", "levels"),
    [
        (("Lead In", "Qualified", "Proposal Sent", "Negotiation"), [1, 2, 3, 4]),
        (("Qualified", "Proposal", "Negotiation"), [2, 3, 4]),
        (("New", "Contacted", "Qualified", "Demo", "Proposal", "Negotiation"), [1, 1, 1, 2, 3, 4]),
        (("Open",), [4]),
    ],
)
def test_stage_levels_count_back_from_negotiation(open_names, levels):
    stages = [_stage(i, name) for i, name in enumerate(open_names)]
    stages += [_stage(90, "Won", won=True), _stage(91, "Lost", lost=True)]
    got = stage_levels(reversed(stages))  # by position, not by the order given
    assert [got[s.id] for s in stages] == [*levels, 5, 4]


def test_subjects_name_one_step_each_and_known_types():
    steps = [subject for subject, _, _ in STEP_SUBJECTS]
    assert len(steps) == len(set(steps)) == len(SUBJECT_STEPS)
    assert set(SUBJECT_STEPS.values()) == {1, 2, 3, 4, 5}
    others = {s for s, _ in NEUTRAL_SUBJECTS + CUSTOMER_SUBJECTS}
    assert not others & set(steps)
    assert {s for s, _ in FIRST_TOUCH_SUBJECTS} - {"Left voicemail"} == {
        s for s, st in SUBJECT_STEPS.items() if st == 1
    }
    kinds = {k for _, k, _ in STEP_SUBJECTS} | {k for _, k in NEUTRAL_SUBJECTS + CUSTOMER_SUBJECTS}
    assert kinds <= set(ACTIVITY_TYPES)


def test_a_year_meets_its_targets_and_every_rule(year):
    ctx, frames = year
    assert_targets_met(frames, ctx.timezone, YEAR)
    assert_all_rules(frames, ctx)


def test_open_deals_move_through_the_stages_as_their_cycle_passes():
    ctx = make_ctx()
    busy: dict[str, Delta] = {"contactsCreated": 60, "dealsCreated": 40, "pipelineAddedValue": 480_000}
    months = [(f"2025-0{m}", busy) for m in range(3, 7)]
    frames = generate_plan(months, ctx, as_of=AS_OF, job_id=JOB, seed="ageing")
    today = AS_OF.astimezone(ZoneInfo(ctx.timezone)).date()
    open_ = frames.deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    open_ = open_.with_columns(created=local(open_, "created_at", ctx.timezone).dt.date())
    cycle = (pl.col("expected_close_date") - pl.col("created")).dt.total_days()
    progress = open_.select("stage_id", progress=(pl.lit(today) - pl.col("created")).dt.total_days() / cycle)
    running = progress.filter(pl.col("progress") < 1)
    by_stage = [mean(running.filter(pl.col("stage_id") == s)["progress"]) for s in STAGE_ORDER]
    assert by_stage == sorted(by_stage), by_stage
    overdue = open_.filter(pl.col("expected_close_date") < today)
    assert overdue.height and (overdue["stage_id"] == STAGE_ORDER[-1]).all()
    assert_all_rules(frames, ctx)


def test_bigger_deals_take_longer_to_close(year):
    _, frames = year
    open_ = frames.deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    days = (open_["expected_close_date"] - open_["created_at"].dt.date()).dt.total_days()
    big = open_["value"] >= open_["value"].median()
    assert median(days.filter(big)) > median(days.filter(~big))


def test_a_deals_activities_follow_its_stages_in_order(year):
    _, frames = year
    story = (
        frames.activities.filter(pl.col("deal_id").is_not_null())
        .with_columns(step=pl.col("subject").replace_strict(SUBJECT_STEPS, default=None, return_dtype=pl.Int64))
        .filter(pl.col("step").is_not_null())
        .sort("created_at")
    )
    monotone = story.group_by("deal_id").agg(ok=(pl.col("step").diff().fill_null(0) >= 0).all())
    assert monotone["ok"].all()
    assert story["step"].n_unique() >= 4  # the story gets past the first steps


def test_most_activities_of_contacts_with_deals_tie_to_a_deal(year):
    _, frames = year
    buyers = frames.deals["contact_id"].unique().implode()
    theirs = frames.activities.filter(pl.col("contact_id").is_in(buyers))
    assert mean(theirs["deal_id"].is_not_null()) >= 0.5


def test_leads_get_first_touches_when_the_activity_count_leaves_room():
    ctx = existing_tenant()
    deltas = {**EXAMPLE_JANUARY, "activitiesCount": 400}
    frames = generate_month("2025-01", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=4)
    leads = pl.concat(
        [
            frames.contacts.filter(pl.col("status") == "lead")["id"],
            ctx.contacts.filter(pl.col("status") == "lead")["id"],
        ]
    )
    on_leads = frames.activities.filter(pl.col("contact_id").is_in(leads.implode()))
    assert on_leads.height
    assert set(on_leads["subject"]) <= {s for s, _ in FIRST_TOUCH_SUBJECTS}
    assert on_leads["deal_id"].is_null().all()
    assert_all_rules(frames, ctx)


def test_deal_names_stay_unique_when_one_company_buys_often():
    ctx = existing_tenant(n_companies=1, per_company=2)
    taken_asked: list[str] = []

    def taken(candidates: pl.Series) -> pl.Series:  # another job's deals hold a product's plain names
        taken_asked.extend(candidates.to_list())
        return candidates.filter(candidates.str.ends_with("Annual subscription (Q1 2025)"))

    ctx = replace(ctx, deal_names_taken=taken)
    frames = generate_month("2025-01", {"dealsCreated": 40, "closedWonCount": 10}, ctx, as_of=AS_OF, job_id=JOB, seed=5)
    names = frames.deals["name"]
    assert names.n_unique() == 40 and names.str.starts_with("Existing 0 Inc. - ").all()
    assert names.str.contains(r"\(Q1 2025\)( #\d+)?$").all()
    assert names.str.contains(" #").any()  # more deals than products and seat counts: numbered
    assert not names.str.ends_with("Annual subscription (Q1 2025)").any() and taken_asked
    assert_all_rules(frames, ctx)


def test_seat_products_say_how_many_seats(year):
    _, frames = year
    seated = frames.deals.filter(pl.col("name").str.contains("Team plan|Add-on seats|Enterprise plan|Platform licence"))
    assert seated.height and seated["name"].str.contains(r", \d+ seats \(Q\d \d{4}\)").all()


def test_an_old_open_deal_is_overdue_not_scheduled_years_ahead():
    ctx = make_ctx(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    deltas: dict[str, Delta] = {"contactsCreated": 20, "dealsCreated": 10, "pipelineAddedValue": 100_000}
    frames = generate_month("2021-03", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=6)
    open_ = frames.deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    assert open_.height and (open_["expected_close_date"] < datetime(2021, 10, 1).date()).all()
    assert (open_["stage_id"] == STAGE_ORDER[-1]).all()
    assert_all_rules(frames, ctx)


def test_a_settled_month_keeps_open_only_the_deal_that_carries_its_open_pipeline():
    """Every cycle begun in 2021-03 ran out long before the as-of time: its deals are closed but
    for one open (and overdue) deal holding the month's open pipeline, whatever the KPIs."""
    ctx = make_ctx(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    deltas: dict[str, Delta] = {
        "contactsCreated": 20,
        "dealsCreated": 10,
        "closedWonCount": 3,
        "closedWonValue": 30_000,
        "pipelineAddedValue": 100_000,
    }
    frames = generate_month("2021-03", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=6)
    open_ = frames.deals.filter(pl.col("stage_id").is_in(list(OPEN)))
    assert open_.height == 1 and Decimal(str(open_["value"].sum())) == Decimal("70000")
    assert_targets_met(frames, ctx.timezone, [("2021-03", deltas)])
    assert_all_rules(frames, ctx)

    untargeted = {k: v for k, v in deltas.items() if k != "pipelineAddedValue"}
    frames = generate_month("2021-03", untargeted, ctx, as_of=AS_OF, job_id=JOB, seed=6)
    assert frames.deals.filter(pl.col("stage_id").is_in(list(OPEN))).height == 0


def test_a_month_whose_cycles_still_run_keeps_its_usual_open_deals():
    assert allocate_month(EXAMPLE_JANUARY, companies_available=5).deals_open == 3
    settled = allocate_month(EXAMPLE_JANUARY, companies_available=5, settled=True)
    assert (settled.deals_won, settled.deals_open, settled.deals_lost) == (3, 1, 4)
    assert (settled.won_value, settled.open_value) == (Decimal("25000.00"), Decimal("50000.00"))
