"""One formatting of numbers: JSON numbers, message numbers, counts, money, deltas and % changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.kpis.numbers import (
    format_count,
    format_delta,
    format_money,
    format_number,
    format_pct,
    format_value,
    plural,
    to_kpi_number,
    to_plain_number,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (25000, "25000"),
        (Decimal("25000"), "25000"),
        (Decimal("25000.50"), "25000.5"),
        (Decimal("-5"), "-5"),
        (Decimal("0.10"), "0.1"),
        (Decimal("NaN"), "NaN"),
        (Decimal("Infinity"), "Infinity"),
        (Decimal("-Infinity"), "-Infinity"),
        (Decimal("1E+15"), "1E+15"),
    ],
)
def test_format_number_as_validation_messages_show_it(value: int | Decimal, text: str) -> None:
    assert format_number(value) == text


def test_json_numbers() -> None:
    assert to_plain_number(Decimal("50")) == 50 and isinstance(to_plain_number(Decimal("50")), int)
    assert to_plain_number(Decimal("25000.5")) == 25000.5
    assert to_plain_number(7) == 7
    assert isinstance(to_plain_number(Decimal("1e18")), float)
    assert to_kpi_number(Decimal("0.00")) == 0.0 and isinstance(to_kpi_number(Decimal("0.00")), float)
    assert to_kpi_number(3) == 3


def test_formats_for_people() -> None:
    assert format_count(36300) == "36,300"
    assert format_count(None) == "—"
    assert format_value(Decimal("36300.00"), "closedWonValue") == "36,300"
    assert format_value(Decimal("36300.5"), "closedWonValue") == "36,300.50"
    assert format_value(None, "leadsCreated") == "no target"
    assert format_delta(-1500.5, "pipelineAddedValue") == "-1,500.50"
    assert format_delta(20, "leadsCreated") == "+20"
    assert format_money(Decimal("36300"), "USD") == "$36,300"
    assert format_money(Decimal("1200.5"), "CHF", estimated=True) == "~1,200.50 CHF"
    assert plural(1, "error") == "1 error" and plural(2, "error") == "2 errors"


def test_pct_reads_new_when_the_kpi_grew_from_zero() -> None:
    assert format_pct(12.5, 5) == "+12.5%"
    assert format_pct(None, 20) == "new"
    assert format_pct(None, 0) == "—"
