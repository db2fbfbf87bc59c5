"""Calendar months as 'YYYY-MM' strings, and their bounds in a tenant's timezone."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from generators.errors import UsageError

# A month as plans, KPIs and generated records write it (also the plan schema's pattern).
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# The months anything accepts: CRM data starts after 1900, and every month's end (the next
# month's first instant) must stay a datetime, which ends in year 9999.
FIRST_MONTH, LAST_MONTH = "1900-01", "2999-12"
MONTH_FORMAT = f"YYYY-MM from {FIRST_MONTH} to {LAST_MONTH}, e.g. 2025-01"
# The most months one range may span (KPI reads, tenant creation): a century.
MAX_RANGE_MONTHS = 1200
_MONTH = re.compile(MONTH_PATTERN)


def is_month(text: object) -> bool:
    """Whether `text` is a month 'YYYY-MM' from FIRST_MONTH to LAST_MONTH (the one check every caller shares)."""
    return isinstance(text, str) and _MONTH.match(text) is not None and FIRST_MONTH <= text <= LAST_MONTH


def parse_month(text: str) -> str:
    """Return the canonical 'YYYY-MM' or raise a UsageError naming the value."""
    month = str(text).strip()
    if not is_month(month):
        raise UsageError(f"'{text}' is not a valid month: expected {MONTH_FORMAT}")
    return month


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    return month_from_index(month_index(month) + n)


def month_range(first: str, last: str) -> list[str]:
    """Every month from first to last inclusive; raises if first is after last or the range spans too many months."""
    span = month_index(last) - month_index(first) + 1
    if span < 1:
        raise UsageError(f"--from {first} is after --to {last}")
    if span > MAX_RANGE_MONTHS:
        raise UsageError(
            f"--from {first} to --to {last} spans {span:,} months: at most {MAX_RANGE_MONTHS:,} months at a time"
        )
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def month_start(month: str, timezone: str) -> datetime:
    """The first instant of the month in the tenant's timezone, as an aware UTC datetime."""
    local = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def month_bounds(month: str, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the month in the tenant's timezone, as UTC datetimes."""
    return month_start(month, timezone), month_start(add_months(month, 1), timezone)


def month_of(instant: datetime, timezone: str) -> str:
    """The tenant-local month an aware instant falls in."""
    return instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
