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


def _earlier(existing: pl.Series, quarter: str) -> pl.DataFrame:
    """Per buyer label, how many of the known deals of the quarter it has (label, earlier)."""
    of_quarter = existing.filter(existing.str.contains(f"({quarter})", literal=True))
    labels = of_quarter.str.split(" - ").list.first().alias("label")
    return labels.to_frame().group_by("label").agg(earlier=pl.len().cast(pl.Int64))


def deal_names(scope: Scope, frame: pl.DataFrame) -> pl.Series:
    """A name per deal of `frame` (label, cents), unique among the tenant's deals.

    A buyer's deals of a quarter take the products in turn, from one that depends on the buyer
    and the quarter, after those of its deals the context knows (the plan's earlier months);
    past the last product they are numbered. A name the tenant holds all the same (another
    job's) gives way to another product, else a number.
    """
    rng = scope.rng.child("deal_names")
    n = frame.height
    count = len(DEAL_PRODUCTS)
    year, number = scope.quarter
    quarter = f"Q{number} {year}"
    start = int(scope.quarter_rng.integers("deal_product", 1, count)[0])
    existing = scope.ctx.deals["name"] if "name" in scope.ctx.deals.columns else pl.Series(dtype=pl.String)
    turn = pl.int_range(pl.len(), dtype=pl.Int64).over("label")
    parts = frame.select(
        "label",
        "cents",
        # Another product for a name already taken: a whole draw in [1, count), hence the modulo.
        shift=1 + (pl.lit(rng.uniform("other", n)) * (count - 1)).cast(pl.Int64) % (count - 1),
    )
    if len(existing):
        earlier = _earlier(existing.drop_nulls(), quarter)
        parts = parts.join(earlier, on="label", how="left", maintain_order="left")
        turn = turn + pl.col("earlier").fill_null(0)
    parts = parts.with_columns(turn=turn).with_columns(
        index=(pl.col("label").str.len_bytes().cast(pl.Int64) + start + pl.col("turn")) % count
    )
    products = pl.lit(pl.Series(DEAL_PRODUCTS))
    parts = parts.with_columns(
        quarter=pl.lit(quarter),
        seats=_seats(pl.col("cents"), float(scope.ctx.typical_deal_size) * 100),
        product=products.gather(pl.col("index")),
        other=products.gather((pl.col("index") + pl.col("shift")) % count),
        round=(pl.col("turn") // count + 1).cast(pl.String),
    )
    names = parts.select(
        pl.when(pl.col("round") == "1")
        .then(_name("product"))
        .otherwise(pl.concat_str(_name("product"), pl.lit(" #"), pl.col("round")))
    ).to_series()
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
