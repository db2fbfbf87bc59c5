"""Placing children in time: stamp first, then pick a parent that already existed at that instant."""

# Stamping children after a randomly chosen parent would pile them up at the month's end;
# drawing the instant first keeps the month's rhythm and only narrows the parent choice.

from __future__ import annotations

import polars as pl

from generators.rng import pick_weighted
from generators.scope import Scope


def pick_parents(
    scope: Scope, name: str, parents: pl.DataFrame, weights: pl.Series, n: int
) -> tuple[pl.Series, pl.Series]:
    """For n children: (row of `parents`, creation second >= that parent's `lower_s`).

    Each child takes, in proportion to `weights`, a parent whose lower_s is at or before the
    child's instant; a child stamped before every parent is stamped again after one.
    """
    rng = scope.rng.child(name)
    ordered = (
        parents.select("lower_s")
        .with_columns(row=pl.int_range(pl.len(), dtype=pl.Int64), weight=weights.cast(pl.Float64))
        .sort("lower_s", "row")
    )
    cumulative = ordered["weight"].cum_sum()
    stamped = scope.stamps(f"{name}.time", pl.repeat(scope.window.lo, n, dtype=pl.Int64, eager=True))
    known = ordered["lower_s"].search_sorted(stamped, side="right").cast(pl.Int64)
    frame = pl.DataFrame(
        {
            "t": stamped,
            "known": known,
            "reach": cumulative.gather((known - 1).clip(0)) * rng.uniform("parent", n),
        }
    )
    sorted_pick = cumulative.search_sorted(frame["reach"], side="right").cast(pl.Int64)
    frame = frame.with_columns(pick=pl.min_horizontal(sorted_pick, pl.col("known") - 1))
    early = frame["known"] == 0
    if early.any():
        late = int(early.sum())
        fallback = pick_weighted(ordered["weight"], rng.uniform("fallback", late))
        restamped = scope.stamps(f"{name}.late", ordered["lower_s"].gather(fallback))
        index = early.arg_true()
        frame = frame.with_columns(
            pick=frame["pick"].scatter(index, fallback),
            t=frame["t"].scatter(index, restamped),
        )
    return ordered["row"].gather(frame["pick"]), frame["t"]
