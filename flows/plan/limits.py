"""Every size limit on a plan, declared once: the readers, the model and the rules check these and name them."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from generators.errors import UsageError

# A plan file or text larger than this is refused before it is read (a plan of 120 full months is ~100 KB).
MAX_PLAN_BYTES = 1_000_000
# Months in one plan: ten years.
MAX_PLAN_MONTHS = 120
# Records one plan may create in total, as its preview counts them (about 2 GB of frames at the most).
MAX_PLAN_RECORDS = 2_000_000
# Per-month limits on what one month may add: they refuse typos (5,000,000 leads),
# not big plans. A demo tenant of a million records holds ~40,000 a month.
COUNT_LIMIT = 100_000
ACTIVITIES_LIMIT = 500_000
MONEY_LIMIT = Decimal("1000000000")
# A number in a plan is read only below this magnitude (and above its reciprocal): anything
# beyond is no amount anyone means, and Decimal arithmetic on it would overflow.
MAX_NUMBER_DIGITS = 100

# Characters no name, slug or seed may hold: control characters (NUL, tab, newline…), line and
# paragraph separators, and lone surrogates (text the databases cannot store).
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})


def unprintable(text: str) -> str | None:
    """The first character of `text` no name may hold, written as U+XXXX; None when there is none."""
    bad = next((c for c in text if unicodedata.category(c) in _UNPRINTABLE), None)
    return None if bad is None else f"U+{ord(bad):04X}"


def check_text(value: str, what: str, max_length: int) -> str:
    """`value` when it fits a text column of `max_length` and holds only printable characters, else a UsageError."""
    shown = value if len(value) <= 40 else value[:39] + "…"
    bad = unprintable(value)
    if bad is not None:
        raise UsageError(f"{what} {shown!r} holds the control character {bad}: use printable characters")
    if len(value) > max_length:
        raise UsageError(f"{what} {shown!r} is {len(value):,} characters long: at most {max_length}")
    return value
