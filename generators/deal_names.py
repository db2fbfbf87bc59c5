"""Deal names a sales team would write: buyer, product line, seats where sold by the seat, quarter; unique."""

from __future__ import annotations

import polars as pl

from generators.pipeline import local_date
from generators.scope import Scope
from generators.text import make_unique, taken_among
from generators.vocab import DEAL_PRODUCTS, SEAT_PRODUCTS

SEATS_AT_TYPICAL = 25  # a deal of the tenant's typical size buys this many seats
SEAT_STEP = 5


def _seats(cents: pl.Expr, typical_cents: float) -> pl.Expr:
    seats = (cents.cast(pl.Float64) / max(typical_cents, 1.0) * SEATS_AT_TYPICAL / SEAT_STEP).round() * SEAT_STEP
    return seats.clip(SEAT_STEP, 10_000).cast(pl.Int64).cast(pl.String)


def _name(product: str) -> pl.Expr:
    """ "Parker Logistics - Team plan, 40 seats (Q3 2024)", from the frame's columns."""
    seated = pl.col(product).is_in(list(SEAT_PRODUCTS))
    return pl.concat_str(
        pl.col("label"),
        pl.lit(" - "),
        pl.col(product),
        pl.when(seated).then(pl.concat_str(pl.lit(", "), pl.col("seats"), pl.lit(" seats"))).otherwise(pl.lit("")),
        pl.lit(" ("),
        pl.col("quarter"),
        pl.lit(")"),
    )


def deal_names(scope: Scope, frame: pl.DataFrame) -> pl.Series:
    """A name per deal of `frame` (label, cents, created_s), unique among the tenant's deals.

    A deal sells one of DEAL_PRODUCTS; when its buyer already has a deal of that name (same
    product, seats and quarter) it sells another product, else it is numbered.
    """
    rng = scope.rng.child("deal_names")
    n = frame.height
    products = pl.Series(DEAL_PRODUCTS)
    first = rng.integers("product", n, len(products))
    # Another product than the first: a shift by 1 to len - 1.
    second = (first + 1 + rng.integers("other", n, len(products) - 1)) % len(products)
    created = local_date(scope, pl.col("created_s"))
    parts = frame.select(
        "label",
        product=products.gather(first),
        other=products.gather(second),
        seats=_seats(pl.col("cents"), float(scope.ctx.typical_deal_size) * 100),
        quarter=pl.concat_str(
            pl.lit("Q"), created.dt.quarter().cast(pl.String), pl.lit(" "), created.dt.year().cast(pl.String)
        ),
    )
    existing = scope.ctx.deals["name"] if "name" in scope.ctx.deals.columns else pl.Series(dtype=pl.String)
    taken = taken_among(existing, scope.ctx.deal_names_taken, lower=False)
    numbered = pl.concat_str(_name("product"), pl.lit(" #{n}"))
    return make_unique(parts, [_name("product"), _name("other")], numbered, taken)
