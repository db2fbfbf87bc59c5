"""Seeded random streams: one seed, independently named streams, vectorised draws as Polars series."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import polars as pl

from generators.series import at_most, repeated


def derive(*parts: object) -> int:
    """A stable 63-bit integer from any parts (str() of each), independent of PYTHONHASHSEED."""
    text = "\x1f".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1


class Rng:
    """Draws named by purpose, so adding a draw somewhere never shifts the others."""

    def __init__(self, *parts: object) -> None:
        self._parts = parts

    def child(self, *parts: object) -> Rng:
        return Rng(*self._parts, *parts)

    def seed(self, name: str) -> int:
        return derive(*self._parts, name)

    def uniform(self, name: str, n: int) -> pl.Series:
        """n floats in [0, 1)."""
        import pyarrow.compute as pc  # deferred: importing pyarrow (~0.1 s) is for commands that generate records

        return pl.Series(name, pc.random(n, initializer=self.seed(name)), dtype=pl.Float64)

    def integers(self, name: str, n: int, high: int) -> pl.Series:
        """n integers in [0, high)."""
        if high <= 0:
            raise ValueError("integers() needs high > 0")
        # Draws are >= 0, so the cast floors them; a draw just below 1 may round up to high.
        return at_most((self.uniform(name, n) * high).cast(pl.Int64), high - 1)

    def normal(self, name: str, n: int) -> pl.Series:
        """n standard normal draws (Box-Muller)."""
        r, a = self.uniform(f"{name}.r", n), self.uniform(f"{name}.a", n)
        radius = (-2.0 * (1.0 - pl.lit(r)).log()).sqrt()
        return pl.select(radius * (2.0 * math.pi * pl.lit(a)).cos()).to_series().alias(f"{name}.r")

    def pick(self, name: str, n: int, weights: Sequence[float] | pl.Series) -> pl.Series:
        """n indexes into weights, drawn in proportion to them."""
        return pick_weighted(pl.Series(weights, dtype=pl.Float64), self.uniform(name, n))

    def ranks(self, name: str, n: int) -> pl.Series:
        """A random permutation of 0..n-1."""
        return self.uniform(name, n).arg_sort().cast(pl.Int64)

    def chosen(self, name: str, n: int, k: int) -> pl.Series:
        """Whether each of n rows is among k picked at random: those with the k lowest draws,
        found by selection, which costs far less than the full sort behind ranks()."""
        if k <= 0 or k >= n:
            return repeated(k > 0, n, pl.Boolean)
        u = self.uniform(name, n)
        threshold = u.bottom_k(k).max()
        below = u < threshold
        ties = u == threshold  # equal draws are rare (53-bit floats), not impossible: earliest rows first
        return below | (ties & (ties.cum_sum() <= k - below.sum()))


def pick_weighted(weights: pl.Series, u: pl.Series) -> pl.Series:
    """Index i with probability weights[i] / sum(weights), for each uniform in u."""
    cumulative = weights.cast(pl.Float64).cum_sum()
    total = cumulative[-1] if len(cumulative) else 0.0
    if not total or total <= 0:
        raise ValueError("pick_weighted() needs a positive total weight")
    found = cumulative.search_sorted(u * total, side="right").cast(pl.Int64)
    return at_most(found, len(weights) - 1)
