"""Elementwise helpers that stay off Polars' query engine.

Series methods such as clip, floor and pl.repeat(eager=True) each run a small query: about
0.1 ms however short the Series, which is most of what a small month costs (it makes a few
hundred such calls). Comparisons, arithmetic, casts and zip_with run directly, so these
helpers are built from those. Inputs hold no nulls.
"""

from __future__ import annotations

import polars as pl


def repeated(value: object, n: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    """n copies of value."""
    return pl.Series([value], dtype=dtype).new_from_index(0, n)


def at_least(values: pl.Series, low: int | float) -> pl.Series:
    """max(value, low) per element."""
    return values.zip_with(values >= low, repeated(low, len(values), values.dtype))


def at_most(values: pl.Series, high: int | float) -> pl.Series:
    """min(value, high) per element."""
    return values.zip_with(values <= high, repeated(high, len(values), values.dtype))
