"""Making values unique: each row gets one of its own candidates, unused before and by other rows."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.text import make_unique, taken_among

WORDS = st.sampled_from(["ann", "bob", "cy", "di", "ed"])
CANDIDATES = [pl.col("a"), pl.concat_str(pl.col("a"), pl.col("b"))]
NUMBERED = pl.concat_str(pl.col("a"), pl.lit("{n}"))


def unique_values(rows: list[tuple[str, str]], taken: list[str]) -> list[str]:
    frame = pl.DataFrame(rows, schema=["a", "b"], orient="row")
    return make_unique(frame, CANDIDATES, NUMBERED, taken_among(pl.Series(taken, dtype=pl.String))).to_list()


def test_the_earliest_row_keeps_a_value_and_rows_sharing_it_move_to_distinct_candidates():
    # The second and fourth rows both lose "ann" to the first: one moves to its second
    # candidate, the other straight to the numbered form; "bob" is taken.
    rows = [("ann", "x"), ("ann", "y"), ("bob", "z"), ("ann", "x")]
    assert unique_values(rows, ["bob"]) == ["ann", "anny", "bobz", "ann2"]


def test_rows_out_of_candidates_are_numbered():
    rows = [("ann", "x")] * 4
    assert unique_values(rows, ["annx"]) == ["ann", "ann4", "ann2", "ann3"]


def test_many_taken_values_are_avoided():
    taken = [f"ann{i}" for i in range(2, 300)] + ["ann", "annx"]
    assert unique_values([("ann", "x"), ("ann", "x")], taken) == ["ann301", "ann300"]


def test_no_rows_give_no_values():
    assert unique_values([], ["ann"]) == []


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(WORDS, WORDS), max_size=60),
    taken=st.lists(st.one_of(WORDS, st.builds(lambda a, b: a + b, WORDS, WORDS)), max_size=80),
)
def test_values_are_unique_free_and_the_rows_own(rows, taken):
    values = unique_values(rows, taken)
    assert len(values) == len(rows)
    assert len(set(values)) == len(values)
    assert not set(values) & set(taken)
    for (a, b), value in zip(rows, values, strict=True):
        assert value in (a, a + b) or (value.startswith(a) and value[len(a) :].isdigit()), (a, b, value)


SPELLINGS = st.sampled_from(["ann", "Ann", "ANN", "bob", "Bob", "cy", "di", "ed", "ann2", "bob@x.com", "Bob@X.com"])


@settings(max_examples=80, deadline=None)
@given(
    known=st.lists(SPELLINGS, max_size=40),
    candidates=st.lists(SPELLINGS, max_size=40),
    lower=st.booleans(),
)
def test_taken_reports_exactly_the_candidates_among_the_values_in_their_order(known, candidates, lower):
    taken = taken_among(pl.Series(known, dtype=pl.String), lower=lower)
    spelled = {k.lower() for k in known} if lower else set(known)
    assert taken(pl.Series(candidates, dtype=pl.String)).to_list() == [c for c in candidates if c in spelled]


def test_taken_asks_elsewhere_after_its_own_values():
    taken = taken_among(pl.Series(["Ann", None]), lambda asked: asked.filter(asked == "cy"))
    assert taken(pl.Series(["cy", "ann", "bob"])).to_list() == ["ann", "cy"]
