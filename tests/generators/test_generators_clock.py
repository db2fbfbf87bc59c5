"""The business-hours clock: where stamps may land, and how business time is counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.clock import build_window, closing_clock
from tests.generators.checks import highest

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Pacific/Chatham",
]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    hours=st.integers(1, 24 * 40),
    fractions=st.lists(st.floats(0, 1), min_size=1, max_size=40),
    weekend=st.booleans(),
)
def test_stamps_land_in_local_business_hours_after_their_bound(zone, start, hours, fractions, weekend):
    lo, hi = int(start.timestamp()), int(start.timestamp()) + hours * 3600
    window = build_window(lo, hi, zone, [1.0])
    if window.is_empty:
        return
    lower = pl.Series([lo + int(f * (hi - lo)) for f in fractions], dtype=pl.Int64)
    lower = lower.filter(window.can_follow(lower))
    if lower.is_empty():
        return
    u = pl.Series([(f * 7.3) % 1 for f in fractions[: len(lower)]], dtype=pl.Float64)
    flags = pl.Series([weekend] * len(lower))
    stamps = window.stamp(lower, u, flags)
    assert (stamps >= lower).all() and (stamps >= lo).all() and (stamps < hi).all()
    local = [datetime.fromtimestamp(t, ZoneInfo(zone)) for t in stamps]
    assert all(8 <= t.hour < 18 for t in local)
    if window.weekdays.total > 0 and not weekend:
        assert all(t.weekday() < 5 for t in local)


def test_closing_clock_counts_weekday_business_seconds():
    monday = datetime(2025, 3, 3, tzinfo=ZoneInfo("Europe/Berlin"))
    clock = closing_clock(int(monday.timestamp()), int((monday + timedelta(days=7)).timestamp()), "Europe/Berlin")
    assert clock.total == 5 * 10 * 3600
    noon = int((monday + timedelta(hours=12)).timestamp())
    assert clock.mass_at(pl.Series([noon]))[0] == 4 * 3600
    assert clock.at_mass(pl.Series([4.0 * 3600]))[0] == noon


def test_no_weekend_hours_after_the_last_weekday_hour():
    """Records on a month-closing weekend would force their follow-ups onto weekends too."""
    zone = ZoneInfo("Europe/Berlin")
    lo = int(datetime(2025, 5, 1, tzinfo=zone).timestamp())  # May 2025 ends on a Saturday
    hi = int(datetime(2025, 6, 1, tzinfo=zone).timestamp())
    window = build_window(lo, hi, "Europe/Berlin", [1.0])
    last_weekday = highest(window.weekdays.segments["start"], int)
    weekend_days = {datetime.fromtimestamp(t, zone).day for t in window.weekends.segments["start"]}
    assert weekend_days == {3, 4, 10, 11, 17, 18, 24, 25}
    assert highest(window.weekends.segments["start"], int) < last_weekday
    saturday = build_window(int(datetime(2025, 5, 31, tzinfo=zone).timestamp()), hi, "Europe/Berlin", [1.0])
    assert saturday.weekdays.total == 0 and saturday.weekends.segments.height == 10
