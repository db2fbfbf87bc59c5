"""Deal values: exact to the cent, skewed around the typical size, rounded like prices."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from generators import generate_month
from generators.money import exact_split, priced
from generators.month import Delta
from generators.rng import Rng
from tests.generators.checks import (
    AS_OF,
    JOB,
    assert_targets_met,
    existing_tenant,
    lowest,
    make_ctx,
    mean,
    median,
    quantile,
)


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.floats(0.01, 1e6), min_size=1, max_size=60),
    extra=st.integers(0, 10**10),
    seed=st.integers(0, 2**31),
)
def test_exact_split_sums_to_the_cent_and_stays_positive(weights, extra, seed):
    total = len(weights) + extra
    cents = exact_split(Rng(seed), "x", pl.Series(weights), total)
    assert cents.len() == len(weights)
    assert cents.sum() == total
    assert lowest(cents, int) >= 1


def test_priced_rounds_to_quote_like_steps():
    assert priced(pl.Series([1_234_567.0, 371_234.0, 18_000.0, 3.0, 0.2])).to_list() == [
        1_225_000,
        370_000,
        18_000,
        3,
        1,
    ]


def test_money_targets_with_odd_cents_are_met_exactly():
    deltas: dict[str, Delta] = {
        "dealsCreated": 9,
        "closedWonCount": 4,
        "closedWonValue": Decimal("25000.37"),
        "pipelineAddedValue": Decimal("75000.99"),
    }
    ctx = existing_tenant()
    frames = generate_month("2025-02", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=1)
    assert_targets_met(frames, ctx.timezone, [("2025-02", deltas)])
    won = frames.deals.filter(pl.col("stage_id") == "st-won")["value"]
    assert won.sum() == Decimal("25000.37") and won.len() == 4
    # Rounded like quotes: only the deal that absorbs the odd cents is not a round figure.
    assert (won.cast(pl.Float64) % 10 == 0).sum() == 3


def test_drawn_values_are_skewed_positive_and_near_the_typical_size():
    ctx = existing_tenant(typical_deal_size=Decimal("12000"))
    frames = generate_month("2025-02", {"dealsCreated": 3000}, ctx, as_of=AS_OF, job_id=JOB, seed=2)
    values = frames.deals["value"].cast(pl.Float64)
    assert lowest(values, float) > 0
    assert 6000 < median(values) < 24000
    assert mean(values) > 1.1 * median(values)  # a long tail of big deals
    assert quantile(values, 0.99) > 4 * median(values)
    assert mean(values % 50 == 0) > 0.97  # people quote round numbers
    assert values.n_unique() > 100


def test_exact_values_keep_the_spread_and_the_rounding():
    deltas = {
        "dealsCreated": 2000,
        "closedWonCount": 800,
        "closedWonValue": 9_600_000,
        "pipelineAddedValue": 24_000_000,
    }
    ctx = existing_tenant()
    frames = generate_month("2025-02", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=3)
    assert_targets_met(frames, ctx.timezone, [("2025-02", deltas)])
    values = frames.deals.filter(pl.col("stage_id") != "st-lost")["value"].cast(pl.Float64)
    assert mean(values) > 1.1 * median(values)
    assert mean(values % 50 == 0) > 0.97


def test_bigger_buyers_sign_bigger_deals():
    ctx = make_ctx()
    frames = generate_month(
        "2025-02",
        {"contactsCreated": 3000, "companiesCreated": 600, "dealsCreated": 3000},
        ctx,
        as_of=AS_OF,
        job_id=JOB,
        seed=4,
    )
    sized = (
        frames.deals.join(frames.companies.select(company_id="id", size="size"), on="company_id")
        .group_by("size")
        .agg(pl.col("value").cast(pl.Float64).median())
    )
    by_size = dict(sized.iter_rows())
    assert by_size["1001-5000"] > 2 * by_size["1-10"]


def test_only_a_pipeline_target_creates_open_deals_on_existing_contacts():
    deltas = {"pipelineAddedValue": 50_000}
    ctx = existing_tenant()
    frames = generate_month("2025-02", deltas, ctx, as_of=AS_OF, job_id=JOB, seed=5)
    assert_targets_met(frames, ctx.timezone, [("2025-02", deltas)])
    assert frames.counts() == {"companies": 0, "contacts": 0, "deals": 4, "activities": 0}
    assert frames.deals["closed_at"].is_null().all()
    assert frames.deals["contact_id"].is_in(ctx.contacts["id"].implode()).all()
