"""Deal names a sales team would write: buyer, product line, seats where sold by the seat, quarter; unique."""

from __future__ import annotations

import polars as pl

from generators.scope import Scope
from generators.text import make_unique, taken_among
from generators.vocab import DEAL_PRODUCTS, SEAT_PRODUCTS

SEATS_AT_TYPICAL = 25  # a deal of the tenant's typical size buys this many seats
SEAT_STEP = 5
_PRODUCTS = pl.Series(DEAL_PRODUCTS)
_SEATED = pl.Series([product in SEAT_PRODUCTS for product in DEAL_PRODUCTS])


def _name(index: pl.Expr, quarter: str, typical_cents: float) -> pl.Expr:
    """The name of a deal (columns label, cents) selling product `index` of DEAL_PRODUCTS:
    "Parker Logistics - Team plan, 40 seats (Q3 2024)"."""
    seats = (pl.col("cents").cast(pl.Float64) / max(typical_cents, 1.0) * SEATS_AT_TYPICAL / SEAT_STEP).round()
    seats = (seats * SEAT_STEP).clip(SEAT_STEP, 10_000).cast(pl.Int64).cast(pl.String)
    return pl.concat_str(
        pl.col("label"),
        pl.lit(" - "),
        pl.lit(_PRODUCTS).gather(index),
        pl.when(pl.lit(_SEATED).gather(index))
        .then(pl.concat_str(pl.lit(", "), seats, pl.lit(" seats")))
        .otherwise(pl.lit("")),
        pl.lit(f" ({quarter})"),
    )


def _earlier(existing: pl.Series, quarter: str, labels: pl.Series) -> pl.Series:
    """Per row of `labels`, how many deals of the quarter the buyer has among `existing` names."""
    # The known names are a plan's or a sample's, a few hundred: a loop costs less than queries.
    marker, counts = f"({quarter})", dict[str, int]()
    for name in existing.to_list():
        if name and marker in name:
            label = name.split(" - ", 1)[0]
            counts[label] = counts.get(label, 0) + 1
    return pl.Series([counts.get(label, 0) for label in labels.to_list()], dtype=pl.Int64)


def deal_names(scope: Scope, frame: pl.DataFrame) -> pl.Series:
    """A name per deal of `frame` (label, cents), unique among the tenant's deals.

    A buyer's deals of a quarter take the products in turn, from one that depends on the buyer
    and the quarter, after those of its deals the context knows (the plan's earlier months);
    past the last product they are numbered. A name the tenant holds all the same (another
    job's) gives way to another product, else a number.
    """
    count = len(DEAL_PRODUCTS)
    year, number = scope.quarter
    quarter = f"Q{number} {year}"
    typical = float(scope.ctx.typical_deal_size) * 100
    start = scope.quarter_rng.seed("deal_product") % count
    existing = scope.ctx.deals["name"] if "name" in scope.ctx.deals.columns else pl.Series(dtype=pl.String)
    turn = pl.int_range(pl.len(), dtype=pl.Int64).over("label")
    if len(existing):
        turn = turn + pl.lit(_earlier(existing, quarter, frame["label"]))
    parts = frame.select("label", "cents", turn=turn)
    index = (pl.col("label").str.len_bytes().cast(pl.Int64) + start + pl.col("turn")) % count
    turns = pl.col("turn") // count + 1  # how often the buyer went round the products this quarter
    plain = _name(index, quarter, typical)
    names = parts.select(
        pl.when(turns == 1).then(plain).otherwise(pl.concat_str(plain, pl.lit(" #"), turns.cast(pl.String)))
    ).to_series()
    elsewhere = scope.ctx.deal_names_taken
    if not len(existing) and elsewhere is None:
        return names
    clash = names.is_in(existing.implode())
    if elsewhere is not None:
        clash = clash | names.is_in(elsewhere(names).implode())
    if not clash.any():
        return names
    # Names already given: another product, else numbered, clear of this batch.
    clashing = parts.filter(clash)
    shift = 1 + scope.rng.child("deal_names").integers("other", clashing.height, count - 1)
    clashing = clashing.with_columns(index=index, shift=shift)
    other = _name((pl.col("index") + pl.col("shift")) % count, quarter, typical)
    numbered = pl.concat_str(_name(pl.col("index"), quarter, typical), pl.lit(" #{n}"))
    taken = taken_among(existing, elsewhere, lower=False)
    settled = taken_among(names.filter(~clash), taken, lower=False)
    return names.scatter(clash.arg_true(), make_unique(clashing, [other], numbered, settled))
