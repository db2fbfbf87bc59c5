"""Deal names a sales team would write: buyer, product line, seats where sold by the seat, quarter; unique."""

from __future__ import annotations

import polars as pl

from generators.scope import Scope
from generators.text import make_unique, taken_among
from generators.vocab import DEAL_PRODUCTS, SEAT_PRODUCTS

SEATS_AT_TYPICAL = 25  # a deal of the tenant's typical size buys this many seats
SEAT_STEP = 5


def _seats(cents: pl.Expr, typical_cents: float) -> pl.Expr:
    seats = (cents.cast(pl.Float64) / max(typical_cents, 1.0) * SEATS_AT_TYPICAL / SEAT_STEP).round() * SEAT_STEP
    return seats.clip(SEAT_STEP, 10_000).cast(pl.Int64).cast(pl.String)


def _name(product: str) -> pl.Expr:
    """A deal selling `product`, named from the frame's columns: "Parker Logistics - Team plan, 40 seats (Q3 2024)"."""
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
    """A name per deal of `frame` (label, cents), unique among the tenant's deals.

    A buyer's deals take the products in turn from one that depends on the buyer and the
    quarter, each month of the quarter a third of the list further on, and past the last
    product they are numbered: the months of a quarter rarely repeat a name. A name the tenant
    already holds (another job's, or a buyer's fifth deal of a month) gives way to another
    product, else a number.
    """
    rng = scope.rng.child("deal_names")
    n = frame.height
    count = len(DEAL_PRODUCTS)
    year, quarter = scope.quarter
    month_offset = (int(scope.month[5:7]) - 1) % 3 * (count // 3)
    start = int(scope.quarter_rng.integers("deal_product", 1, count)[0]) + month_offset
    products = pl.lit(pl.Series(DEAL_PRODUCTS))
    parts = (
        frame.lazy()
        .select(
            "label",
            "cents",
            turn=pl.int_range(pl.len(), dtype=pl.Int64).over("label"),
            # Another product for a name already taken: a whole draw in [1, count), hence the modulo.
            shift=1 + (pl.lit(rng.uniform("other", n)) * (count - 1)).cast(pl.Int64) % (count - 1),
        )
        .with_columns(index=(pl.col("label").str.len_bytes().cast(pl.Int64) + start + pl.col("turn")) % count)
        .with_columns(
            quarter=pl.lit(f"Q{quarter} {year}"),
            seats=_seats(pl.col("cents"), float(scope.ctx.typical_deal_size) * 100),
            product=products.gather(pl.col("index")),
            other=products.gather((pl.col("index") + pl.col("shift")) % count),
            round=(pl.col("turn") // count + 1).cast(pl.String),
        )
        .with_columns(
            plain=pl.when(pl.col("round") == "1")
            .then(_name("product"))
            .otherwise(pl.concat_str(_name("product"), pl.lit(" #"), pl.col("round")))
        )
        .collect()
    )
    names = parts["plain"]
    existing = scope.ctx.deals["name"] if "name" in scope.ctx.deals.columns else pl.Series(dtype=pl.String)
    elsewhere = scope.ctx.deal_names_taken
    clash = names.is_in(existing.implode())
    if elsewhere is not None:
        clash = clash | names.is_in(elsewhere(names).implode())
    if not clash.any():
        return names
    # Names already given: another product, else numbered, clear of this batch.
    taken = taken_among(existing, elsewhere, lower=False)
    settled = taken_among(names.filter(~clash), taken, lower=False)
    numbered = pl.concat_str(_name("product"), pl.lit(" #{n}"))
    return names.scatter(clash.arg_true(), make_unique(parts.filter(clash), [_name("other")], numbered, settled))
