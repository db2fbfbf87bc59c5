"""Plan numbers: counts as int, money as Decimal, and how messages write them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from generators.metrics import BY_NAME

Number = int | Decimal
CENT = Decimal("0.01")
# A value this large is refused before any arithmetic that could overflow on it.
HUGE = Decimal("1e15")


def fmt_number(value: Number) -> str:
    """A value as messages show it: 25000, 25000.5, -5."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        return {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}.get(str(value), str(value))
    if abs(value) >= HUGE:
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def as_number(metric: str, value: Any) -> Number:
    """A KPI value as int (counts) or Decimal (money); None counts as 0."""
    if value is None:
        return Decimal(0) if BY_NAME[metric].kind == "money" else 0
    if BY_NAME[metric].kind == "money":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    return int(value)
