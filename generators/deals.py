"""New deals: won, open and lost, on contacts that existed before them, worth exactly what was asked."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from generators.allocation import MonthAllocation
from generators.clock import closing_clock
from generators.companies import existing_companies
from generators.context import Stage
from generators.deal_names import deal_names
from generators.money import exact_split, priced, raw_sizes
from generators.pipeline import cycle_days, expected_close, local_date, open_stage
from generators.placement import pick_parents
from generators.rng import Rng
from generators.scope import Scope, seconds_after
from generators.series import repeated

NEW_CONTACT_PULL = 8.0  # a contact created this month is this many times likelier to get a deal
# An existing contact's pull fades with its age: deals open soon after a contact is engaged,
# rarely years later (but a long-known customer still buys again now and then).
RECENT_DAYS = 21.0
OLD_CONTACT_PULL = 0.02
# Sales cycles in business days (10 business hours each): median, spread, longest. The
# longest stays within the longest calendar cycle (pipeline.CYCLE_DAYS).
CYCLE_DAYS = {"won": 28.0, "lost": 18.0}
CYCLE_SPREAD = 0.6
CYCLE_MAX_DAYS = 120.0
BUSINESS_DAY = 10 * 3600
CLOSING_HORIZON = 200 * 86400  # calendar seconds holding CYCLE_MAX_DAYS business days


def _pull_by_age(scope: Scope) -> pl.Expr:
    """An existing contact's pull on this month's deals: fading with its age at the month's start."""
    age_days = (scope.window.lo - pl.col("created_s")).clip(0) / 86400
    return (-age_days / RECENT_DAYS).exp().clip(OLD_CONTACT_PULL)


def contact_parents(scope: Scope, contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts a deal of this month may belong to, with the bound its creation must follow.

    A new contact comes with its label; an existing one has its company's, or falls back on its email's
    domain: that text is made only for the parents picked (`labelled`), since the tenant's contacts grow
    with every month of a plan, and spelling a label for each of them every month cost more than the
    month's deals.
    """
    companies = existing_companies(scope).select(company_id="id", company_s="created_s", company_label="label")
    existing = (
        scope.ctx.contacts.select(
            pl.col("id").cast(pl.String),
            pl.col("company_id").cast(pl.String),
            pl.col("status").cast(pl.String),
            pl.col("email").cast(pl.String),
            seconds_after("created_at").alias("created_s"),
        )
        .join(companies, on="company_id", how="left")
        .select(
            "id",
            "company_id",
            "status",
            lower_s=pl.max_horizontal("created_s", pl.col("company_s").fill_null(0)),
            label=pl.lit(None, pl.String),
            company_label="company_label",
            email="email",
            deal_factor=pl.lit(1.0),
            is_new=pl.lit(False),
            contact_row=pl.lit(None, pl.Int64),
            pull=_pull_by_age(scope),
        )
    )
    new = contacts.select(
        "id",
        "company_id",
        "status",
        lower_s="created_s",
        label="label",
        company_label=pl.lit(None, pl.String),
        email=pl.lit(None, pl.String),
        deal_factor="deal_factor",
        is_new=pl.lit(True),
        contact_row=pl.int_range(pl.len(), dtype=pl.Int64),  # the contact's row in this batch
        pull=pl.lit(NEW_CONTACT_PULL),
    )
    parents = pl.concat([existing, new], how="vertical_relaxed").filter(pl.col("id").is_not_null())
    return parents.filter(scope.window.can_follow(parents["lower_s"]))


def labelled(parents: pl.DataFrame) -> pl.DataFrame:
    """`contact_parents` rows with their label: a new contact's as it came; an existing contact's company's,
    else its email's domain in title case, else "New business"."""
    email_stem = pl.col("email").str.split("@").list.last().str.split(".").list.first()
    existing = pl.coalesce("company_label", email_stem.str.to_titlecase(), pl.lit("New business"))
    return parents.with_columns(label=pl.when(pl.col("is_new")).then(pl.col("label")).otherwise(existing))


def _closed_stage_ids(rng: Rng, name: str, n: int, stages: tuple[Stage, ...]) -> pl.Series:
    """A won (or lost) stage per deal, evenly among the tenant's; nulls without any."""
    if not stages:
        return repeated(None, n, pl.String)
    ordered = sorted(stages, key=lambda s: (s.position, s.id))
    return pl.Series([s.id for s in ordered], dtype=pl.String).gather(rng.integers(name, n, len(ordered)))


def _check_stages(scope: Scope, alloc: MonthAllocation) -> None:
    ctx = scope.ctx
    for count, stages, metric, kind in (
        (alloc.deals_won, ctx.won_stages, "closedWonCount", "won"),
        (alloc.deals_open, ctx.open_stages, "dealsCreated", "open"),
        (alloc.deals_lost, ctx.lost_stages, "dealsCreated", "lost"),
    ):
        if count and not stages:
            raise scope.fail(f"{metric} needs {count} {kind} deals, but the tenant has no {kind} stage")


def _values(scope: Scope, alloc: MonthAllocation, frame: pl.DataFrame) -> pl.Series:
    """Cents per deal: the exact won and open totals when set, drawn from the spread otherwise."""
    rng = scope.rng.child("deal_values")
    typical = float(scope.ctx.typical_deal_size) * 100
    raw = raw_sizes(rng, "raw", frame["deal_factor"] * typical)
    cents = priced(raw)
    for outcome, total, metric in (
        ("won", alloc.won_value, "closedWonValue"),
        ("open", alloc.open_value, "pipelineAddedValue"),
    ):
        if total is None:
            continue
        mask = frame["outcome"] == outcome
        target = int((total * 100).to_integral_value())
        count = int(mask.sum())
        if target < count:
            shown = total if outcome == "won" else f"{total} above closedWonValue"
            raise scope.fail(f"{metric} ({shown}) cannot give {count} {outcome} deals at least 0.01 each")
        split = exact_split(rng, outcome, raw.filter(mask), target)
        index = mask.arg_true()
        cents = cents.scatter(index, split)
    return cents


def _closings(scope: Scope, frame: pl.DataFrame) -> pl.Series:
    """Close instants (seconds) of won and lost deals: a sales cycle later, by the as-of time."""
    rng = scope.rng.child("closings")
    n = frame.height
    # Business time from the month to as-of, but no further than the longest cycle needs.
    horizon = min(scope.as_of + 1, scope.window.hi + CLOSING_HORIZON)
    clock = closing_clock(scope.window.lo, horizon, scope.ctx.timezone)
    created = frame["created_s"]
    median = frame.select(
        pl.when(pl.col("outcome") == "won").then(CYCLE_DAYS["won"]).otherwise(CYCLE_DAYS["lost"])
    ).to_series()
    days = (median * (rng.normal("cycle", n) * CYCLE_SPREAD).exp()).clip(0.05, CYCLE_MAX_DAYS)
    if clock.total <= 0:
        return created
    start = clock.mass_at(created)
    left = clock.total - start
    target = start + days * BUSINESS_DAY
    # A cycle running past the as-of time closes somewhere between creation and as-of instead.
    target = target.zip_with(target < clock.total, start + rng.uniform("late", n) * left)
    closed = clock.at_mass(target.clip(0, max(clock.total - 1e-6, 0)))
    return pl.select(
        pl.when(left <= 0)
        .then(created)
        .otherwise(pl.min_horizontal(pl.max_horizontal(closed, created), pl.lit(scope.as_of)))
    ).to_series()


def build_deals(scope: Scope, alloc: MonthAllocation, contacts: pl.DataFrame, metric: str) -> pl.DataFrame:
    """alloc.deals deals with ids in creation order; `metric` ("dealsCreated (8)") names the
    target that asked for them, for errors."""
    n = alloc.deals
    _check_stages(scope, alloc)
    parents = contact_parents(scope, contacts)
    buyers = parents.filter(pl.col("status") != "lead")
    if buyers.is_empty():
        buyers = parents  # only leads to sell to: better a deal on a lead than no deal
    if buyers.is_empty() and n:
        raise scope.fail(f"{metric} needs a contact, but none exists or is created")
    rng = scope.rng.child("deals")
    rows, created = pick_parents(scope, "deals.contact", buyers, buyers["pull"], n)
    buyer = labelled(buyers.gather(rows))
    outcome = pl.Series(
        ["won"] * alloc.deals_won + ["open"] * alloc.deals_open + ["lost"] * alloc.deals_lost,
        dtype=pl.String,
    )
    ctx = scope.ctx
    frame = pl.DataFrame(
        {
            "contact_id": buyer["id"],
            "contact_row": buyer["contact_row"],
            "company_id": buyer["company_id"],
            "outcome": outcome,
            "deal_factor": buyer["deal_factor"],
            "label": buyer["label"],
            "owner_id": scope.owners("deals", n),
            "created_s": created,
        }
    )
    frame = frame.with_columns(cents=_values(scope, alloc, frame))
    frame = frame.with_columns(
        closed_s=pl.when(pl.col("outcome") == "open").then(None).otherwise(_closings(scope, frame)),
        cycle_days=cycle_days(rng.child("cycle"), n, float(ctx.typical_deal_size) * 100),
    )
    ordered = [s.id for s in sorted(ctx.open_stages, key=lambda s: (s.position, s.id))]
    by_age = open_stage(rng.child("open_stage"), scope, n, ordered) if ordered else pl.lit(None, pl.String)
    frame = frame.with_columns(
        stage_id=pl.when(pl.col("outcome") == "won")
        .then(_closed_stage_ids(rng, "stage.won", n, ctx.won_stages))
        .when(pl.col("outcome") == "open")
        .then(by_age)
        .otherwise(_closed_stage_ids(rng, "stage.lost", n, ctx.lost_stages)),
        # Open deals expect to close a sales cycle after creation (overdue once it passed); closed ones closed.
        expected_close_date=pl.when(pl.col("outcome") == "open")
        .then(expected_close(scope))
        .otherwise(local_date(scope, pl.col("closed_s"))),
        value=(pl.col("cents").cast(pl.Decimal(18, 0)) * pl.lit(Decimal("0.01"))),
        currency=pl.lit(ctx.currency),
    )
    frame = frame.with_columns(name=deal_names(scope, frame))
    return scope.with_ids("deals", frame).select(
        "id",
        "contact_id",
        "company_id",
        "owner_id",
        "stage_id",
        "name",
        "value",
        "currency",
        "expected_close_date",
        "closed_s",
        "created_s",
        "outcome",
        "contact_row",
    )


def promote_contacts(contacts: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """New non-lead contacts with a won deal become customers; with an open one, opportunities."""
    if contacts.is_empty() or deals.is_empty():
        return contacts

    def with_deal(outcome: str) -> pl.Series:  # by row in this batch: no join on the text ids
        rows = deals.filter(pl.col("outcome") == outcome)["contact_row"].drop_nulls()
        return repeated(False, contacts.height, pl.Boolean).scatter(rows, True)

    won, open_ = with_deal("won"), with_deal("open")
    status = (
        pl.when(pl.col("is_lead"))
        .then(pl.col("status"))
        .when(won)
        .then(pl.lit("customer"))
        .when(open_ & (pl.col("status") != "customer"))
        .then(pl.lit("opportunity"))
        .otherwise(pl.col("status"))
    )
    return contacts.with_columns(status=status)
