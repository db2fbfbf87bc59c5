"""Seeded draws: a random subset of k rows, exact in size, the same for the same seed."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.rng import Rng
from tests.generators.checks import highest, lowest


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 3000), share=st.floats(-0.2, 1.2), seed=st.integers(0, 10**6))
def test_chosen_marks_exactly_k_rows_the_same_way_each_time(n, share, seed):
    k = round(n * share)
    chosen = Rng(seed).chosen("x", n, k)
    assert chosen.dtype == pl.Boolean and len(chosen) == n
    assert chosen.sum() == min(max(k, 0), n)
    assert chosen.equals(Rng(seed).chosen("x", n, k))


def test_chosen_rows_are_the_lowest_draws_spread_over_the_whole_range():
    n, k = 100_000, 1_500
    rng = Rng("spread")
    chosen = rng.chosen("weekend", n, k)
    draws = rng.uniform("weekend", n)
    assert highest(draws.filter(chosen), float) < lowest(draws.filter(~chosen), float)
    halves = chosen.cast(pl.Int64).reshape((2, n // 2)).arr.sum().to_list()
    assert all(650 < count < 850 for count in halves)
    assert not chosen.equals(rng.chosen("other", n, k))
