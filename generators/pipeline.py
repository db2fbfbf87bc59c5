"""Where an open deal stands at the as-of time: its sales cycle, expected close date and stage."""

# A deal expects to close a sales cycle after its creation: 14 to 180 days, longer for bigger
# deals. Its stage follows how much of that cycle has passed by the as-of time, so recent deals
# sit in early stages and a deal whose cycle has passed sits late and is overdue (its expected
# close date in the past). Moving a deal among open stages changes no KPI.

from __future__ import annotations

import polars as pl

from generators.rng import Rng
from generators.scope import Scope, utc_datetime
from generators.series import repeated

CYCLE_DAYS = (14, 180)  # shortest and longest sales cycle, in calendar days
CYCLE_MEDIAN_DAYS = 45.0  # of a deal of the tenant's typical size
CYCLE_SIZE_SKEW = 0.35  # a deal twice the typical size takes 2**0.35 ≈ 1.27 times as long
CYCLE_SPREAD = 0.45  # log-normal spread of cycles around that
STAGE_NOISE = 0.35  # how far (in stages) a deal may run ahead of or behind its cycle


def sales_cycles(rng: Rng, cents: pl.Series, typical_cents: float) -> pl.Series:
    """Calendar days from creation to the expected close, per deal, in CYCLE_DAYS."""
    shortest, longest = CYCLE_DAYS
    relative = (cents.cast(pl.Float64) / max(typical_cents, 1.0)).clip(0.01, 100.0)
    days = CYCLE_MEDIAN_DAYS * relative.pow(CYCLE_SIZE_SKEW) * (rng.normal("cycle", len(cents)) * CYCLE_SPREAD).exp()
    return days.round().clip(shortest, longest).cast(pl.Int64)


def local_date(scope: Scope, seconds: pl.Expr) -> pl.Expr:
    """The tenant-local calendar date of epoch seconds."""
    return utc_datetime(seconds).dt.convert_time_zone(scope.ctx.timezone).dt.date()


def open_stage_index(rng: Rng, scope: Scope, created: pl.Series, cycles: pl.Series, stages: int) -> pl.Series:
    """Index (0 = earliest) of each open deal's stage among `stages` open ones: the share of its
    cycle passed by the as-of time, give or take STAGE_NOISE; the last one once it passed."""
    age_days = (scope.as_of - created).cast(pl.Float64) / 86400
    progress = age_days / cycles.cast(pl.Float64)
    drawn = progress * stages + rng.normal("stage", len(created)) * STAGE_NOISE
    index = drawn.floor().clip(0, stages - 1).cast(pl.Int64)
    return index.zip_with(progress < 1, repeated(stages - 1, len(index), pl.Int64))
