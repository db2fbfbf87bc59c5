"""New activities: calls, emails, meetings after their contact, telling the story of the contact's deal."""

from __future__ import annotations

import polars as pl

from generators.allocation import ACTIVITIES_PER_CONTACT, MonthAllocation
from generators.companies import existing_companies
from generators.placement import pick_parents
from generators.scope import Scope, seconds_after
from generators.series import repeated
from generators.story import CUSTOMER, FIRST_TOUCH, LOST_LEVEL, NEUTRAL, level_of, one_of, pick_subjects

NEW_CONTACT_PULL = 2.0  # extra activities favour this month's contacts this many times
STORY_SHARE = 0.7  # a deal's activities mention its step of the story; the others mention none
CUSTOMER_SHARE = 0.8  # after a won deal closed, customer care (kick-off, reviews); the others neutral
FIRST_TOUCH_SHARE = 0.5  # a non-lead contact without a deal: a first touch, or a neutral note
LOST_STEP_DAYS = 10  # a lost deal got one step further for every this many days it ran


def _people(scope: Scope, contacts: pl.DataFrame) -> pl.DataFrame:
    """Every contact an activity may concern, with the instant it must follow."""
    companies = existing_companies(scope).select(company_id="id", company_s="created_s")
    existing = (
        scope.ctx.contacts.select(
            pl.col("id").cast(pl.String),
            pl.col("company_id").cast(pl.String),
            (pl.col("status").cast(pl.String) == "lead").fill_null(False).alias("is_lead"),
            seconds_after("created_at").alias("created_s"),
        )
        .join(companies, on="company_id", how="left")
        .select(
            "id",
            "company_id",
            "is_lead",
            lower_s=pl.max_horizontal("created_s", pl.col("company_s").fill_null(0)),
            is_new=pl.lit(False),
        )
    )
    new = contacts.select("id", "company_id", "is_lead", lower_s="created_s", is_new=pl.lit(True))
    return pl.concat([existing, new], how="vertical_relaxed").filter(pl.col("id").is_not_null())


def _first_deal_s(contacts: pl.DataFrame, deals: pl.DataFrame) -> pl.Series:
    """Per new contact (by row), when its first deal of this month was created; null without one."""
    # A month's deals are few: a loop costs less than a Polars group-by would.
    first: dict[int, int] = {}
    for row, created in zip(deals["contact_row"].to_list(), deals["created_s"].to_list(), strict=True):
        if row is not None and (row not in first or created < first[row]):
            first[row] = created
    rows = pl.Series(list(first), dtype=pl.Int64)
    return repeated(None, contacts.height, pl.Int64).scatter(rows, pl.Series(list(first.values()), dtype=pl.Int64))


def _who(
    scope: Scope, alloc: MonthAllocation, explicit: bool, contacts: pl.DataFrame, deals: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """Contact and creation second per activity. Each new non-lead contact gets
    ACTIVITIES_PER_CONTACT after it (after its first deal, when it got one this month); an
    explicit activitiesCount trims those, or spreads the rest over every contact that existed
    at the activity's instant."""
    rng = scope.rng.child("activities")
    # A deal is stamped in business time, so its instant is a bound an activity can follow.
    first_deal = _first_deal_s(contacts, deals)
    keep = ~contacts["is_lead"]
    onboarding = pl.DataFrame(
        {
            "id": contacts["id"].filter(keep),
            "company_id": contacts["company_id"].filter(keep),
            "is_lead": contacts["is_lead"].filter(keep),
            "lower_s": first_deal.zip_with(first_deal.is_not_null(), contacts["created_s"]).filter(keep),
            "is_new": repeated(True, int(keep.sum()), pl.Boolean),
        }
    )
    slots = pl.concat([onboarding] * ACTIVITIES_PER_CONTACT)
    wanted = alloc.activities
    if explicit and wanted < slots.height:
        slots = slots.filter(rng.chosen("trim", slots.height, wanted))
    slots_at = scope.stamps("activities", slots["lower_s"])
    if not explicit or wanted == slots.height:
        return slots, slots_at
    people = _people(scope, contacts)
    others = people.filter(scope.window.can_follow(people["lower_s"]))
    if others.is_empty():
        raise scope.fail(f"activitiesCount ({wanted}) needs a contact, but none exists or is created")
    pull = 1.0 + (NEW_CONTACT_PULL - 1.0) * others["is_new"].cast(pl.Float64)
    rows, extra_at = pick_parents(scope, "activities.extra", others, pull, wanted - slots.height)
    return pl.concat([slots, others.gather(rows)]), pl.concat([slots_at, extra_at])


def _deal_stories(scope: Scope, deals: pl.DataFrame) -> pl.DataFrame:
    """Every deal an activity may tie to, sorted by creation: when it ran and how far its story got."""
    ctx = scope.ctx
    new = deals.lazy().select("contact_id", deal_id="id", stage_id="stage_id", deal_s="created_s", closed_s="closed_s")
    parts = [new]
    if ctx.deals.height:
        existing = ctx.deals.lazy().select(
            pl.col("contact_id").cast(pl.String),
            pl.col("id").cast(pl.String).alias("deal_id"),
            pl.col("stage_id").cast(pl.String),
            seconds_after("created_at").alias("deal_s"),
            pl.col("closed_at").dt.epoch("s").alias("closed_s"),  # floored: an activity never passes the close
        )
        parts.insert(0, existing)
    stage = pl.col("stage_id")
    lost = one_of(stage, ctx.lost_stages)
    end = pl.coalesce("closed_s", pl.lit(scope.as_of))
    level = level_of(stage, ctx.stages)
    # A lost deal's story stopped where it was lost: the longer it ran, the further it got.
    ran = 1 + (end - pl.col("deal_s")) // (LOST_STEP_DAYS * 86400)
    return (
        pl.concat(parts, how="vertical_relaxed")
        .filter(pl.col("contact_id").is_not_null())
        .sort("deal_s")
        .select(
            "contact_id",
            "deal_id",
            "deal_s",
            end_s=end,
            closed=pl.col("closed_s").is_not_null(),
            won=one_of(stage, ctx.won_stages),
            reach=pl.when(lost).then(pl.min_horizontal(level, ran.clip(1, LOST_LEVEL))).otherwise(level),
        )
        .collect()
    )


def _pools(u: pl.Series) -> tuple[pl.Expr, pl.Expr]:
    """Which subjects each activity draws from (story.py): its deal's current step while the
    deal runs, customer care after a won deal, a first touch or a neutral note otherwise."""
    linked = pl.col("deal_id").is_not_null() & (~pl.col("closed") | (pl.col("created_s") <= pl.col("end_s")))
    progress = (pl.col("created_s") - pl.col("deal_s")) / pl.max_horizontal(pl.col("end_s") - pl.col("deal_s"), 1)
    step = (1 + (progress * pl.col("reach")).floor().cast(pl.Int64)).clip(1, pl.col("reach"))
    draw = pl.lit(u)
    return (
        pl.when(linked)
        .then(pl.when(draw < STORY_SHARE).then(step).otherwise(NEUTRAL))
        .when(pl.col("deal_id").is_not_null() & pl.col("won"))
        .then(pl.when(draw < CUSTOMER_SHARE).then(CUSTOMER).otherwise(NEUTRAL))
        .when(pl.col("deal_id").is_not_null())
        .then(NEUTRAL)
        .when(pl.col("is_lead") | (draw < FIRST_TOUCH_SHARE))
        .then(FIRST_TOUCH)
        .otherwise(NEUTRAL)
        .alias("pool"),
        linked.alias("linked"),
    )


def build_activities(
    scope: Scope,
    alloc: MonthAllocation,
    explicit: bool,
    contacts: pl.DataFrame,
    deals: pl.DataFrame,
) -> pl.DataFrame:
    """alloc.activities activities, sorted by creation, with ids in that order."""
    who, created = _who(scope, alloc, explicit, contacts, deals)
    n = who.height
    rng = scope.rng.child("activities")
    frame = pl.DataFrame(
        {
            "contact_id": who["id"],
            "company_id": who["company_id"],
            "is_lead": who["is_lead"],
            "owner_id": scope.owners("activities", n),
            "created_s": created,
        }
    ).sort("created_s", maintain_order=True)
    # The contact's latest deal created at or before the activity, if any: linked while it runs.
    frame = frame.join_asof(
        _deal_stories(scope, deals),
        left_on="created_s",
        right_on="deal_s",
        by="contact_id",
        strategy="backward",
        check_sortedness=False,
    )
    frame = frame.with_columns(*_pools(rng.uniform("story", n)))
    subject, kind = pick_subjects(frame["pool"], rng.uniform("subject", n))
    return (
        frame.lazy()
        .select(
            "contact_id",
            "company_id",
            "owner_id",
            "created_s",
            id=scope.minter.ids("activities"),
            deal_id=pl.when(pl.col("linked")).then(pl.col("deal_id")),
            type=kind,
            subject=subject,
        )
        .select("id", "contact_id", "deal_id", "company_id", "owner_id", "type", "subject", "created_s")
        .collect()
    )
