"""Numbers for JSON and for people: every KPI value, money amount and count is formatted here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from generators.metrics import BY_NAME

Number = int | Decimal
CENT = Decimal("0.01")
# A value this large is refused before any arithmetic that could overflow on it, and messages
# write it as given rather than as digits.
HUGE = Decimal("1e15")
# Beyond this a whole Decimal goes to JSON as a float, not as an integer.
_HUGE_JSON = 10**18
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
NO_VALUE = "—"


# --- for programs (JSON, YAML) -------------------------------------------------------------


def to_decimal(value: Any) -> Decimal:
    """A stored number (int, float, Decimal or text) as an exact Decimal."""
    return Decimal(str(value))


def to_plain_number(value: Number) -> int | float:
    """A number as the JSON/YAML number people expect: 50, not "50" or 50.0; 25000.5 stays a float."""
    if isinstance(value, int):
        return value
    if value.is_finite() and value == value.to_integral_value() and abs(value) < _HUGE_JSON:
        return int(value)
    number = float(value)
    # 572405008483958.94 has more digits than a float: it becomes 572405008483959.0, written
    # back as 572405008483959 so that a plan written and read again says the same.
    return int(number) if number.is_integer() and abs(number) < _HUGE_JSON else number


def as_number(metric: str, value: Any) -> Number:
    """A KPI value as int (counts) or Decimal (money); None counts as 0."""
    if value is None:
        return Decimal(0) if BY_NAME[metric].kind == "money" else 0
    if BY_NAME[metric].kind == "money":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    return int(value)


def to_kpi_number(value: Number) -> int | float:
    """A KPI value in JSON: counts as integers, money always as a decimal number (0.0, 25000.5)."""
    return float(value) if isinstance(value, Decimal) else int(value)


# --- for people ----------------------------------------------------------------------------


def format_number(value: Number) -> str:
    """A value as messages show it: 25000, 25000.5, -5 (no thousands separators)."""
    if isinstance(value, int):
        return str(value)
    if not value.is_finite():
        return {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity"}.get(str(value), str(value))
    if abs(value) >= HUGE:
        return str(value)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def format_count(value: Any) -> str:
    """A count with thousands separators: 36,300; — when there is none."""
    return NO_VALUE if value is None else f"{int(value):,}"


def format_amount(value: Any) -> str:
    """Money with thousands separators, cents only when there are any: 36,300 and 36,300.50.

    Whole amounts without cents keep tables narrow enough for an 80-column terminal.
    """
    if value is None:
        return NO_VALUE
    money = to_decimal(value)
    return f"{money:,.0f}" if money == money.to_integral_value() else f"{money:,.2f}"


def format_money(value: Any, currency: str, *, estimated: bool = False) -> str:
    """An amount in the tenant's currency: $36,300, 1,200.50 CHF; ~ in front when estimated."""
    amount = format_amount(value)
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{symbol}{amount}" if symbol else f"{amount} {currency}"
    return f"~{text}" if estimated else text


def format_value(value: Any, metric: str) -> str:
    """A KPI value as tables show it: counts whole, money without a currency; "no target" for none."""
    if value is None:
        return "no target"
    return format_amount(value) if BY_NAME[metric].kind == "money" else format_count(value)


def format_delta(value: Any, metric: str) -> str:
    """A change of a KPI with its sign: +20, -1,500.50, +0."""
    number = to_decimal(value)
    text = format_amount(abs(number)) if BY_NAME[metric].kind == "money" else format_count(abs(int(number)))
    return ("-" if number < 0 else "+") + text


def format_pct(pct: float | None, delta: Any) -> str:
    """A % change: +12.5%; "new" when the KPI grew from zero (no percentage of nothing), — when it stayed 0."""
    if pct is not None:
        return f"{pct:+.1f}%"
    return "new" if to_decimal(delta) != 0 else NO_VALUE


def plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}{'' if n == 1 else 's'}"
