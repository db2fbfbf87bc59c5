"""Where an open deal stands at the as-of time: its sales cycle, expected close date and stage."""

# A deal expects to close a sales cycle after its creation: 14 to 180 days, longer for bigger
# deals. Its stage follows how much of that cycle has passed by the as-of time, so recent deals
# sit in early stages and a deal whose cycle has passed sits late and is overdue (its expected
# close date in the past). Moving a deal among open stages changes no KPI.

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from generators.rng import Rng
from generators.scope import Scope, utc_datetime

CYCLE_DAYS = (14, 180)  # shortest and longest sales cycle, in calendar days
CYCLE_MEDIAN_DAYS = 45.0  # of a deal of the tenant's typical size
CYCLE_SIZE_SKEW = 0.35  # a deal twice the typical size takes 2**0.35 ≈ 1.27 times as long
CYCLE_SPREAD = 0.45  # log-normal spread of cycles around that
STAGE_NOISE = 0.35  # how far (in stages) a deal may run ahead of or behind its cycle


def is_settled(month_end: datetime, as_of: datetime) -> bool:
    """Whether every sales cycle begun before `month_end` has run out by `as_of`."""
    return month_end + timedelta(days=CYCLE_DAYS[1]) <= as_of


def cycle_days(rng: Rng, n: int, typical_cents: float) -> pl.Expr:
    """Calendar days from creation to the expected close, per deal (column `cents`), in CYCLE_DAYS."""
    shortest, longest = CYCLE_DAYS
    relative = (pl.col("cents").cast(pl.Float64) / max(typical_cents, 1.0)).clip(0.01, 100.0)
    spread = (pl.lit(rng.normal("cycle", n)) * CYCLE_SPREAD).exp()
    return (CYCLE_MEDIAN_DAYS * relative.pow(CYCLE_SIZE_SKEW) * spread).round().clip(shortest, longest).cast(pl.Int64)


def local_date(scope: Scope, seconds: pl.Expr) -> pl.Expr:
    """The tenant-local calendar date of epoch seconds."""
    return utc_datetime(seconds).dt.convert_time_zone(scope.ctx.timezone).dt.date()


def expected_close(scope: Scope) -> pl.Expr:
    """A sales cycle (column `cycle_days`) after the tenant-local creation date (column `created_s`)."""
    return local_date(scope, pl.col("created_s")) + pl.duration(days=pl.col("cycle_days"))


def open_stage(rng: Rng, scope: Scope, n: int, stage_ids: list[str]) -> pl.Expr:
    """Each deal's open stage among `stage_ids` (earliest first) were it open: the share of its
    cycle (columns `created_s`, `cycle_days`) passed by the as-of time, give or take
    STAGE_NOISE; the last one once the cycle passed."""
    last = len(stage_ids) - 1
    progress = (scope.as_of - pl.col("created_s")).cast(pl.Float64) / (86400 * pl.col("cycle_days"))
    drawn = (progress * len(stage_ids) + pl.lit(rng.normal("stage", n)) * STAGE_NOISE).floor().clip(0, last)
    index = pl.when(progress < 1).then(drawn.cast(pl.Int64)).otherwise(last)
    return pl.lit(pl.Series(stage_ids, dtype=pl.String)).gather(index)
