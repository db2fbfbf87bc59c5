"""One month's deltas -> entity frames: its window, its allocation, then each entity in lifecycle order."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from generators.activities import build_activities
from generators.allocation import AllocationError, MonthAllocation, allocate_month
from generators.calendar import MONTH_FORMAT, is_month, month_bounds
from generators.clock import CLOSE_HOUR, OPEN_HOUR, build_window
from generators.companies import build_companies
from generators.contacts import build_contacts
from generators.context import TenantContext
from generators.deals import build_deals, promote_contacts
from generators.errors import GenerationError
from generators.frames import TS, EntityFrames, conform
from generators.ids import IdMinter
from generators.metrics import METRIC_NAMES
from generators.pipeline import is_settled
from generators.pools import locale_pools
from generators.rng import Rng
from generators.scope import Scope, utc_datetime

Delta = int | float | Decimal | None
_DAY_JITTER = 0.3  # each day's weight varies by up to +-15% so months do not look stamped out


def generation_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the month to generate, or a GenerationError for a bad month or timezone."""
    if not is_month(month):
        raise GenerationError(f"'{month}' is not a month: expected {MONTH_FORMAT}")
    try:
        return month_bounds(month, timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise GenerationError(f"{month}: tenant timezone '{timezone}' is unknown") from exc


def companies_before(ctx: TenantContext, month: str) -> int:
    """The tenant's companies created before the month starts (allocate_month's input)."""
    start, _ = generation_bounds(month, ctx.timezone)
    frame = ctx.companies
    if frame.is_empty():
        return 0
    return frame.filter(pl.col("created_at").dt.epoch("us") < _micros(start)).height


def _micros(instant: datetime) -> int:
    return int(instant.astimezone(UTC).timestamp() * 1_000_000)


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise GenerationError(f"{name} must be timezone-aware, got {value.isoformat()}")


def _first_target(deltas: Mapping[str, Delta]) -> str:
    for name in METRIC_NAMES:  # registry order names the first target that cannot be met
        value = deltas.get(name)
        if value:
            return f"{name} ({value})"
    return "records"


def _deal_metric(deltas: Mapping[str, Delta], alloc: MonthAllocation) -> str:
    """The target that asks for this month's deals, with its value, for error messages."""
    if deltas.get("dealsCreated") is not None:
        name = "dealsCreated"
    else:
        name = "closedWonCount" if alloc.deals_won else "pipelineAddedValue"
    return f"{name} ({deltas.get(name)})"


def _finish(scope: Scope, entity: str, frame: pl.DataFrame, job_id: str) -> pl.DataFrame:
    created = utc_datetime(pl.col("created_s"))
    extra = {"closed_at": utc_datetime(pl.col("closed_s"))} if entity == "deals" else {}
    return conform(
        entity,
        frame.with_columns(
            tenant_id=pl.lit(scope.ctx.tenant_id, pl.String),
            created_at=created,
            updated_at=created,
            deleted_at=pl.lit(None, TS),
            demo_generated=pl.lit(True),
            demo_job_id=pl.lit(job_id, pl.String),
            demo_source_month=pl.lit(scope.month, pl.String),
            **extra,
        ),
    )


def generate_month(
    month: str,
    deltas: Mapping[str, Delta],
    ctx: TenantContext,
    *,
    as_of: datetime,
    job_id: str,
    seed: int | str,
    ordinal_start: dict[str, int] | None = None,
    companies_available: int | None = None,
) -> EntityFrames:
    """Records that add exactly `deltas` to `month`'s KPIs: additive, never touching existing records.

    Ids are minted from (job_id, entity, ordinal) (generators/ids.py), with ordinals from
    ordinal_start (default 0).
    `companies_available` is allocate_month's input; by default the tenant's companies
    created before the month (generate_by_month passes the count the preview uses).
    Raises GenerationError when the month cannot hold the records.
    """
    _aware("as_of", as_of)
    _aware("tenant created_at", ctx.created_at)
    start, end = generation_bounds(month, ctx.timezone)
    try:
        alloc = allocate_month(
            deltas,
            companies_available=(companies_before(ctx, month) if companies_available is None else companies_available),
            typical_deal_size=ctx.typical_deal_size,
            settled=is_settled(month_bounds(month, ctx.timezone)[1], as_of),
        )
    except AllocationError as exc:
        raise GenerationError(f"{month}: {exc}") from exc
    if alloc.records == 0:
        return EntityFrames()

    lo = math.ceil(max(start, ctx.created_at).timestamp())
    as_of_s = math.floor(as_of.timestamp())
    hi = min(int(end.timestamp()), as_of_s + 1)
    rng = Rng("demogen", seed, ctx.tenant_id, month)
    jitter = [1 - _DAY_JITTER / 2 + _DAY_JITTER * u for u in rng.uniform("day_jitter", 32)]
    window = build_window(lo, hi, ctx.timezone, jitter)
    if window.is_empty:
        zone = ZoneInfo(ctx.timezone)
        shown = (datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M") for t in (lo, hi))
        raise GenerationError(
            f"{month}: cannot create {_first_target(deltas)}: no business hours "
            f"({OPEN_HOUR:02d}:00-{CLOSE_HOUR:02d}:00 {ctx.timezone}) between {next(shown)} "
            f"and {next(shown)} (tenant creation, month and as-of time)"
        )
    try:
        pools = locale_pools(ctx.locale)
    except ValueError as exc:
        raise GenerationError(f"{month}: tenant {exc}") from exc

    counts = {
        "companies": alloc.companies,
        "contacts": alloc.leads + alloc.non_lead_contacts,
        "deals": alloc.deals,
        "activities": alloc.activities,
    }
    minter = IdMinter(job_id, counts, ordinal_start or {})
    quarter = f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"
    scope = Scope(month, ctx, window, rng, pools, minter, as_of_s, Rng("demogen", seed, ctx.tenant_id, quarter))
    companies = build_companies(scope, alloc.companies)
    contacts = build_contacts(scope, alloc, companies)
    deals = build_deals(scope, alloc, contacts, _deal_metric(deltas, alloc))
    contacts = promote_contacts(contacts, deals)
    explicit = deltas.get("activitiesCount") is not None
    activities = build_activities(scope, alloc, explicit, contacts, deals)
    return EntityFrames(
        companies=_finish(scope, "companies", companies, job_id),
        contacts=_finish(scope, "contacts", contacts, job_id),
        deals=_finish(scope, "deals", deals, job_id),
        activities=_finish(scope, "activities", activities, job_id),
    )
