"""Business-hours clocks: the instants a window offers, weighted, and sampling after a lower bound."""

# A clock is a list of segments (epoch seconds, tenant-local business hours clipped to a
# window), each with a weight per second. Mass is the weighted business time elapsed; a
# uniform draw of mass maps back to an instant, so every sample lands in a segment. All
# instants are whole epoch seconds.

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from generators.series import at_least, at_most, repeated

# Tenant-local opening hours on weekdays: [open, close) in whole hours.
BUSINESS_HOURS = (8, 18)
OPEN_HOUR, CLOSE_HOUR = BUSINESS_HOURS
HOURS = range(OPEN_HOUR, CLOSE_HOUR)
# Relative activity per local hour from 08:00 to 17:00: a late-morning and a mid-afternoon peak.
HOUR_WEIGHTS: tuple[float, ...] = (0.55, 0.95, 1.2, 1.15, 0.65, 0.85, 1.15, 1.1, 0.9, 0.55)
# Relative activity per weekday, Monday first: mid-week peak. Weekends have their own clock.
DAY_WEIGHTS: tuple[float, ...] = (0.85, 1.1, 1.2, 1.1, 0.8, 0.7, 0.3)
# Share of records stamped on weekends, and the most any batch may get (>= 90% on weekdays).
WEEKEND_SHARE = 0.015
WEEKEND_CAP = 0.04


@dataclass(frozen=True)
class Clock:
    segments: pl.DataFrame  # start, length (Int64 s, ascending, disjoint), weight, before, after

    @classmethod
    def of(cls, segments: list[tuple[int, int, float]]) -> Clock:
        frame = pl.DataFrame(
            segments,
            schema={"start": pl.Int64, "length": pl.Int64, "weight": pl.Float64},
            orient="row",
        ).with_columns(after=(pl.col("length") * pl.col("weight")).cum_sum())
        # `before` is `after` shifted, bit for bit, so a segment's end and the next start agree.
        return cls(frame.with_columns(before=pl.col("after").shift(1, fill_value=0.0)))

    @property
    def total(self) -> float:
        return float(self.segments["after"][-1]) if self.segments.height else 0.0

    def mass_at(self, t: pl.Series) -> pl.Series:
        """Mass elapsed at instants t (seconds)."""
        if not self.segments.height:
            return repeated(0.0, len(t), pl.Float64)
        idx = self.segments["start"].search_sorted(t, side="right").cast(pl.Int64) - 1
        segment = self.segments.gather(at_least(idx, 0))
        within = t - segment["start"]
        # Before the first segment: nothing; past its segment's end: all of it; else part of it.
        mass = (segment["before"] + segment["weight"] * within).zip_with(within < segment["length"], segment["after"])
        return mass.zip_with(idx >= 0, repeated(0.0, len(t), pl.Float64))

    def at_mass(self, m: pl.Series) -> pl.Series:
        """The instant (seconds) at which mass m in [0, total) is reached."""
        last = self.segments.height - 1
        idx = at_most(self.segments["after"].search_sorted(m, side="right").cast(pl.Int64), last)
        segment = self.segments.gather(idx)
        # Seconds into the segment; the cast floors all but negative offsets, which become 0 anyway.
        offset = at_least(((m - segment["before"]) / segment["weight"]).cast(pl.Int64), 0)
        return segment["start"] + offset.zip_with(offset < segment["length"], segment["length"] - 1)

    def has_after(self, t: pl.Series) -> pl.Series:
        """Whether any business time is left at or after t."""
        return self.mass_at(t) < self.total

    def sample_after(self, lower: pl.Series, u: pl.Series, floor: pl.Series) -> pl.Series:
        """Instants >= lower drawn by mass (floor = mass_at(lower) < total)."""
        drawn = self.at_mass(floor + u * (self.total - floor))
        # Float rounding may land a second early inside lower's own segment: clamp.
        return drawn.zip_with(drawn >= lower, lower)


def _broadcast(one: pl.Series, n: int) -> pl.Series:
    """The single value of `one`, n times (what a whole column of the same input maps to)."""
    return repeated(one[0], n, one.dtype) if len(one) else one


@functools.lru_cache(maxsize=8192)  # a plan's months look at the same days for their closings
def _epoch(day: date, hour: int, zone: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=zone).timestamp())


def _hours(day: date, zone: ZoneInfo) -> list[tuple[int, int, int]]:
    """(local hour, start, end) of each business hour of the day, in epoch seconds. Two
    conversions a day instead of two an hour, unless the clocks change within business hours."""
    opening, closing = _epoch(day, OPEN_HOUR, zone), _epoch(day, CLOSE_HOUR, zone)
    if closing - opening == (CLOSE_HOUR - OPEN_HOUR) * 3600:
        return [(hour, opening + 3600 * (hour - OPEN_HOUR), opening + 3600 * (hour + 1 - OPEN_HOUR)) for hour in HOURS]
    return [(hour, _epoch(day, hour, zone), _epoch(day, hour + 1, zone)) for hour in HOURS]


def _days(lo: int, hi: int, zone: ZoneInfo) -> list[date]:
    first = datetime.fromtimestamp(lo, zone).date()
    last = datetime.fromtimestamp(max(lo, hi - 1), zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _clip(lo: int, hi: int, start: int, end: int) -> tuple[int, int] | None:
    start, end = max(start, lo), min(end, hi)
    return (start, end - start) if end > start else None


@dataclass(frozen=True)
class Window:
    """Business time in [lo, hi): a weekday clock and a weekend clock."""

    lo: int
    hi: int
    weekdays: Clock
    weekends: Clock

    @property
    def is_empty(self) -> bool:
        return self.weekdays.total <= 0 and self.weekends.total <= 0

    def can_follow(self, t: pl.Series) -> pl.Series:
        """Whether a record may still be stamped at or after t (on a weekday when any is left)."""
        if self.weekdays.total > 0:
            return self.weekdays.has_after(t)
        return self.weekends.has_after(t)

    def stamp(self, lower: pl.Series, u: pl.Series, weekend: pl.Series) -> pl.Series:
        """Instants >= lower (each needs can_follow), on weekends where flagged and possible."""
        days, ends = self.weekdays, self.weekends
        lower = at_least(lower.cast(pl.Int64), self.lo)
        if days.total <= 0:
            return ends.sample_after(lower, u, ends.mass_at(lower))
        same = lower.min() == lower.max()  # one bound for every row: a batch placed anywhere in the window
        floor = _broadcast(days.mass_at(lower.head(1)), len(lower)) if same else days.mass_at(lower)
        stamps = days.sample_after(lower, u, floor)
        if ends.total <= 0:
            return stamps
        # Only the few rows flagged for a weekend, or out of weekdays, look at the weekend clock.
        rows = (weekend | (floor >= days.total)).arg_true()
        if rows.is_empty():
            return stamps
        some_lower, some_u = lower.gather(rows), u.gather(rows)
        end_floor = ends.mass_at(some_lower)
        usable = (end_floor < ends.total) | (floor.gather(rows) >= days.total)
        at = ends.sample_after(some_lower, some_u, end_floor)
        return stamps.scatter(rows.filter(usable), at.filter(usable))


def build_window(lo: int, hi: int, timezone: str, day_jitter: list[float]) -> Window:
    """Business hours of [lo, hi) in the tenant's timezone; day_jitter scales each day's weight."""
    zone = ZoneInfo(timezone)
    weekday: list[tuple[int, int, float]] = []
    weekend: list[tuple[int, int, float]] = []
    if hi > lo:
        for i, day in enumerate(_days(lo, hi, zone)):
            scale = DAY_WEIGHTS[day.weekday()] * day_jitter[i % len(day_jitter)]
            target = weekend if day.weekday() >= 5 else weekday
            for hour, start, end in _hours(day, zone):
                span = _clip(lo, hi, start, end)
                if span:
                    target.append((span[0], span[1], HOUR_WEIGHTS[hour - OPEN_HOUR] * scale))
    if weekday:
        # A weekend after the last weekday hour would strand its records' follow-ups (an
        # activity must come after its contact) on weekends too: leave it out.
        last = weekday[-1][0]
        weekend = [segment for segment in weekend if segment[0] < last]
    return Window(lo, hi, Clock.of(weekday), Clock.of(weekend))


def closing_clock(lo: int, hi: int, timezone: str) -> Clock:
    """Weekday business hours of [lo, hi), unweighted: mass = business seconds (sales cycles)."""
    zone = ZoneInfo(timezone)
    segments: list[tuple[int, int, float]] = []
    if hi > lo:
        for day in _days(lo, hi, zone):
            if day.weekday() < 5:
                span = _clip(lo, hi, _epoch(day, OPEN_HOUR, zone), _epoch(day, CLOSE_HOUR, zone))
                if span:
                    segments.append((span[0], span[1], 1.0))
    return Clock.of(segments)


def weekend_count(n: int, u: float) -> int:
    """How many of n records go on weekends: ~WEEKEND_SHARE, never above WEEKEND_CAP."""
    return min(math.floor(n * WEEKEND_CAP), math.floor(n * WEEKEND_SHARE + u))
