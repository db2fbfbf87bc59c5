"""New deals: won, open and lost, on contacts that existed before them, worth exactly what was asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import polars as pl

from generators.allocation import MonthAllocation
from generators.clock import closing_clock
from generators.companies import existing_companies
from generators.context import Stage
from generators.money import exact_split, priced, raw_sizes
from generators.placement import pick_parents
from generators.rng import Rng
from generators.scope import Scope, seconds_after, utc_datetime
from generators.series import repeated
from generators.vocab import DEAL_PRODUCTS

NEW_CONTACT_PULL = 3.0  # a contact created this month is this many times likelier to get a deal
# Sales cycles in business days (10 business hours each): median, spread, longest.
CYCLE_DAYS = {"won": 28.0, "lost": 18.0}
CYCLE_SPREAD = 0.6
CYCLE_MAX_DAYS = 250.0
BUSINESS_DAY = 10 * 3600
CLOSING_HORIZON = 400 * 86400  # calendar seconds holding CYCLE_MAX_DAYS business days
# Open deals expect to close this many calendar days after creation (median), at least a week
# ahead of the as-of date: a live pipeline keeps its dates current.
EXPECTED_DAYS = 45.0
FUNNEL_DECAY = 0.35  # later open stages hold fewer deals


def contact_parents(scope: Scope, contacts: pl.DataFrame) -> pl.DataFrame:
    """Contacts a deal of this month may belong to, with the bound its creation must follow."""
    companies = existing_companies(scope).select(company_id="id", company_s="created_s", company_label="label")
    email_stem = pl.col("email").str.split("@").list.last().str.split(".").list.first()
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
            label=pl.coalesce("company_label", email_stem.str.to_titlecase(), pl.lit("New business")),
            deal_factor=pl.lit(1.0),
            is_new=pl.lit(False),
            contact_row=pl.lit(None, pl.Int64),
        )
    )
    new = contacts.select(
        "id",
        "company_id",
        "status",
        lower_s="created_s",
        label="label",
        deal_factor="deal_factor",
        is_new=pl.lit(True),
        contact_row=pl.int_range(pl.len(), dtype=pl.Int64),  # the contact's row in this batch
    )
    parents = pl.concat([existing, new], how="vertical_relaxed").filter(pl.col("id").is_not_null())
    return parents.filter(scope.window.can_follow(parents["lower_s"]))


def _stage_ids(rng: Rng, name: str, n: int, stages: tuple[Stage, ...], decay: float) -> pl.Series:
    ordered = sorted(stages, key=lambda s: s.position)
    weights = [1.0 / (1.0 + decay * i) for i in range(len(ordered))]
    return pl.Series([s.id for s in ordered], dtype=pl.String).gather(rng.pick(name, n, weights))


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


def _expected_dates(scope: Scope, frame: pl.DataFrame) -> pl.Series:
    rng = scope.rng.child("expected")
    n = frame.height
    zone = scope.ctx.timezone
    as_of_date = datetime.fromtimestamp(scope.as_of, UTC).astimezone(ZoneInfo(zone)).date()
    days = (EXPECTED_DAYS * (rng.normal("days", n) * 0.5).exp()).clip(7, 365).cast(pl.Int64)
    soon = (7 + rng.uniform("soon", n) * 53).cast(pl.Int64)

    def local(column: str) -> pl.Expr:
        return utc_datetime(pl.col(column)).dt.convert_time_zone(zone).dt.date()

    planned = local("created_s") + pl.duration(days=pl.lit(days))
    floor = pl.lit(as_of_date + timedelta(days=1))
    return frame.select(
        pl.when(pl.col("outcome") == "open")
        .then(pl.when(planned >= floor).then(planned).otherwise(pl.lit(as_of_date) + pl.duration(days=pl.lit(soon))))
        .otherwise(local("closed_s"))
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
    pull = 1.0 + (NEW_CONTACT_PULL - 1.0) * buyers["is_new"].cast(pl.Float64)
    rows, created = pick_parents(scope, "deals.contact", buyers, pull, n)
    buyer = buyers.gather(rows)
    outcome = pl.Series(
        ["won"] * alloc.deals_won + ["open"] * alloc.deals_open + ["lost"] * alloc.deals_lost,
        dtype=pl.String,
    )
    ctx = scope.ctx
    stage = {
        kind: _stage_ids(rng, f"stage.{kind}", n, stages, decay)
        if stages
        else pl.repeat(None, n, dtype=pl.String, eager=True)
        for kind, stages, decay in (
            ("won", ctx.won_stages, 0.0),
            ("open", ctx.open_stages, FUNNEL_DECAY),
            ("lost", ctx.lost_stages, 0.0),
        )
    }
    products = pl.Series(DEAL_PRODUCTS).gather(rng.integers("product", n, len(DEAL_PRODUCTS)))
    frame = pl.DataFrame(
        {
            "contact_id": buyer["id"],
            "contact_row": buyer["contact_row"],
            "company_id": buyer["company_id"],
            "outcome": outcome,
            "deal_factor": buyer["deal_factor"],
            "name": buyer["label"] + " - " + products,
            "owner_id": scope.owners("deals", n),
            "created_s": created,
        }
    )
    frame = frame.with_columns(
        stage_id=pl.when(pl.col("outcome") == "won")
        .then(stage["won"])
        .when(pl.col("outcome") == "open")
        .then(stage["open"])
        .otherwise(stage["lost"]),
        cents=_values(scope, alloc, frame),
    )
    frame = frame.with_columns(
        closed_s=pl.when(pl.col("outcome") == "open").then(None).otherwise(_closings(scope, frame))
    )
    frame = frame.with_columns(
        expected_close_date=_expected_dates(scope, frame),
        value=(pl.col("cents").cast(pl.Decimal(18, 0)) * pl.lit(Decimal("0.01"))),
        currency=pl.lit(ctx.currency),
    )
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
