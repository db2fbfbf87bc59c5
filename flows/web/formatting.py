"""How the pages write numbers, months and times: Jinja filters over the formats the reports use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from flows.kpis.numbers import CURRENCY_SYMBOLS, NO_VALUE, format_count, format_money
from generators.calendar import parse_month

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STATUS_LABELS = {"pending": "Pending", "running": "Running", "completed": "✓ Completed", "failed": "Failed"}


def month_label(month: str | None) -> str:
    """'2025-01' as 'Jan 2025'."""
    if not month:
        return NO_VALUE
    year, number = parse_month(month).split("-")
    return f"{_MONTHS[int(number) - 1]} {year}"


def month_span(first: str | None, last: str | None) -> str:
    """A range of months as 'Jan 2024 - Dec 2024', one month alone, or '—' when there is none."""
    if not first or not last:
        return NO_VALUE
    return month_label(first) if first == last else f"{month_label(first)} - {month_label(last)}"


def currency_symbol(currency: str) -> str:
    """'$' for USD; the code itself for a currency without a symbol of its own here."""
    return CURRENCY_SYMBOLS.get(currency, currency)


def when(value: datetime | str | None, utc_suffix: bool = True) -> str:
    """A moment in UTC to the minute: 2025-01-31 14:05 UTC (the suffix left out under a "(UTC)" heading)."""
    if value is None:
        return NO_VALUE
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return f"{moment:%Y-%m-%d %H:%M}" + (" UTC" if utc_suffix else "")


def duration(seconds: float | None) -> str:
    """12.3 s, or 2 min 5 s."""
    if seconds is None:
        return NO_VALUE
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    return f"{minutes} min {round(seconds - minutes * 60)} s"


def money(value: Any, currency: str = "USD") -> str:
    return format_money(value, currency)


def register(env: Environment) -> None:
    """Make the formats above filters of the pages' Jinja environment."""
    env.filters.update(
        count=format_count,
        money=money,
        month=month_label,
        status=lambda s: STATUS_LABELS.get(s, s),
        when=when,
        duration=duration,
    )
    env.globals.update(month_span=month_span, currency_symbol=currency_symbol)
