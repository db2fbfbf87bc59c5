"""New activities: calls, emails, meetings after their contact, tied to the contact's latest deal."""

from __future__ import annotations

import polars as pl

from generators.allocation import ACTIVITIES_PER_CONTACT, MonthAllocation
from generators.companies import existing_companies
from generators.placement import pick_parents
from generators.scope import Scope, seconds_after
from generators.vocab import ACTIVITY_SUBJECTS

NEW_CONTACT_PULL = 2.0  # extra activities favour this month's contacts this many times


def _people(scope: Scope, contacts: pl.DataFrame) -> pl.DataFrame:
    """Every contact an activity may concern, with the instant it must follow."""
    companies = existing_companies(scope).select(company_id="id", company_s="created_s")
    existing = (
        scope.ctx.contacts.select(
            pl.col("id").cast(pl.String),
            pl.col("company_id").cast(pl.String),
            seconds_after("created_at").alias("created_s"),
        )
        .join(companies, on="company_id", how="left")
        .select(
            "id",
            "company_id",
            lower_s=pl.max_horizontal("created_s", pl.col("company_s").fill_null(0)),
            is_new=pl.lit(False),
            onboarding=pl.lit(False),
        )
    )
    new = contacts.select("id", "company_id", lower_s="created_s", is_new=pl.lit(True), onboarding=~pl.col("is_lead"))
    return pl.concat([existing, new], how="vertical_relaxed").filter(pl.col("id").is_not_null())


def _who(
    scope: Scope, alloc: MonthAllocation, explicit: bool, contacts: pl.DataFrame
) -> tuple[pl.DataFrame, pl.Series]:
    """Contact and creation second per activity. Each new non-lead contact gets
    ACTIVITIES_PER_CONTACT after it; an explicit activitiesCount trims those, or spreads the
    rest over every contact that existed at the activity's instant."""
    rng = scope.rng.child("activities")
    onboarding = contacts.filter(~pl.col("is_lead")).select(
        "id", "company_id", lower_s="created_s", is_new=pl.lit(True), onboarding=pl.lit(True)
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


def _all_deals(scope: Scope, deals: pl.DataFrame) -> pl.DataFrame:
    existing = scope.ctx.deals.select(
        pl.col("contact_id").cast(pl.String),
        pl.col("id").cast(pl.String).alias("deal_id"),
        seconds_after("created_at").alias("deal_s"),
    )
    new = deals.select("contact_id", deal_id="id", deal_s="created_s")
    return pl.concat([existing, new], how="vertical_relaxed").filter(pl.col("contact_id").is_not_null()).sort("deal_s")


def build_activities(
    scope: Scope,
    alloc: MonthAllocation,
    explicit: bool,
    contacts: pl.DataFrame,
    deals: pl.DataFrame,
) -> pl.DataFrame:
    """alloc.activities activities, sorted by creation, with ids in that order."""
    who, created = _who(scope, alloc, explicit, contacts)
    n = who.height
    rng = scope.rng.child("activities")
    kinds = [
        (kind, subject, weight / len(subjects)) for kind, weight, subjects in ACTIVITY_SUBJECTS for subject in subjects
    ]
    pick = rng.pick("subject", n, [w for _, _, w in kinds])
    frame = pl.DataFrame(
        {
            "contact_id": who["id"],
            "company_id": who["company_id"],
            "type": pl.Series([k for k, _, _ in kinds]).gather(pick),
            "subject": pl.Series([s for _, s, _ in kinds]).gather(pick),
            "owner_id": scope.owners("activities", n),
            "created_s": created,
        }
    ).sort("created_s", maintain_order=True)
    # The contact's latest deal created at or before the activity, if any.
    frame = frame.join_asof(
        _all_deals(scope, deals),
        left_on="created_s",
        right_on="deal_s",
        by="contact_id",
        strategy="backward",
        check_sortedness=False,
    )
    return frame.with_columns(id=scope.minter.ids("activities")).select(
        "id", "contact_id", "deal_id", "company_id", "owner_id", "type", "subject", "created_s"
    )
