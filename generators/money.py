"""Deal values in cents: skewed like real deal sizes, rounded like prices, summing exactly when asked."""

from __future__ import annotations

import polars as pl

from generators.rng import Rng
from generators.series import at_least, at_most

# Price steps in cents; a deal is rounded to the largest step <= its value / PRICE_PRECISION
# (12,340 -> 12,250 or 12,500; 3,712 -> 3,700; 180 -> 180), so values read like quotes.
STEPS = pl.Series(
    [
        1,
        5,
        10,
        50,
        100,
        500,
        1_000,
        2_500,
        5_000,
        10_000,
        25_000,
        50_000,
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
    ],
    dtype=pl.Int64,
)
PRICE_PRECISION = 25
SPREAD = 0.75  # sigma of log(value): a few big deals, many around the typical size


def raw_sizes(rng: Rng, name: str, median_cents: pl.Series) -> pl.Series:
    """Log-normal draws around each deal's median (tenant typical size x buyer size)."""
    return median_cents * (rng.normal(name, len(median_cents)) * SPREAD).exp()


def _step(cents: pl.Series) -> pl.Series:
    idx = STEPS.search_sorted(cents / PRICE_PRECISION, side="right").cast(pl.Int64) - 1
    return STEPS.gather(at_most(at_least(idx, 0), len(STEPS) - 1))


def priced(cents: pl.Series) -> pl.Series:
    """Round each positive amount to its price step, never below one step."""
    step = _step(cents)
    return pl.select(pl.max_horizontal((cents / step).round().cast(pl.Int64) * step, step)).to_series()


def exact_split(rng: Rng, name: str, weights: pl.Series, total: int) -> pl.Series:
    """Cents per deal in proportion to weights, priced, summing to exactly total (>= len).

    Rounding to price steps leaves a remainder. It is paid back a whole step at a time on
    deals in random order, so prices stay round; what is left (less than one step) lands on
    the largest deal, or, when negative, is taken from the largest deals down, never
    leaving a deal below one cent.
    """
    n = len(weights)
    if n == 0:
        return pl.Series(name, [], dtype=pl.Int64)
    if total < n:
        raise ValueError(f"{total} cents cannot give {n} deals a positive value")
    shares = weights.cast(pl.Float64) / weights.sum() * total
    frame = pl.DataFrame({"row": pl.int_range(n, eager=True), "value": priced(shares)})
    frame = frame.with_columns(step=_step(shares), order=rng.ranks(f"{name}.order", n))
    rest = total - int(frame["value"].sum())
    if rest:
        sign = 1 if rest > 0 else -1
        movable = pl.lit(True) if sign > 0 else pl.col("value") > pl.col("step")
        moved = pl.when(movable).then(pl.col("step")).otherwise(0)
        frame = (
            frame.sort("order")
            .with_columns(used=moved.cum_sum())
            .with_columns(
                value=pl.when(movable & (pl.col("used") <= abs(rest)))
                .then(pl.col("value") + sign * pl.col("step"))
                .otherwise(pl.col("value"))
            )
        )
        rest = total - int(frame["value"].sum())
    if rest > 0:
        frame = frame.sort("value", "row", descending=[True, False]).with_columns(
            value=pl.col("value") + pl.when(pl.int_range(pl.len()) == 0).then(rest).otherwise(0)
        )
    elif rest < 0:
        capacity = pl.col("value") - 1
        frame = (
            frame.sort("value", "row", descending=[True, False])
            .with_columns(taken=capacity.cum_sum() - capacity)
            .with_columns(
                value=pl.col("value") - pl.min_horizontal(capacity, pl.max_horizontal(-rest - pl.col("taken"), 0))
            )
        )
    return frame.sort("row")["value"].alias(name)
