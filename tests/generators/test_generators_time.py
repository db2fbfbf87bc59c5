"""When records are stamped: business hours, weekdays with a mid-week peak, windows and as-of."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from generators import GenerationError, generate_month
from tests.generators.checks import (
    AS_OF,
    EXAMPLE_JANUARY,
    JOB,
    assert_all_rules,
    assert_targets_met,
    existing_tenant,
    highest,
    local,
    lowest,
    make_ctx,
    mean,
)

BUSY = {
    "leadsCreated": 1500,
    "contactsCreated": 1500,
    "companiesCreated": 300,
    "dealsCreated": 400,
    "closedWonCount": 100,
    "activitiesCount": 4000,
}


@pytest.fixture(scope="module")
def busy_month():
    ctx = existing_tenant(timezone="Europe/Berlin", locale="de_DE")
    return ctx, generate_month("2025-05", BUSY, ctx, as_of=AS_OF, job_id=JOB, seed=11)


def test_busy_month_keeps_every_rule(busy_month):
    ctx, frames = busy_month
    assert_targets_met(frames, ctx.timezone, [("2025-05", BUSY)])
    assert_all_rules(frames, ctx)


def test_weekdays_dominate_with_a_mid_week_peak(busy_month):
    ctx, frames = busy_month
    stamps = pl.concat([local(frame, "created_at", ctx.timezone) for _, frame in frames])
    weekday = stamps.dt.weekday()
    assert mean(weekday <= 5) >= 0.95
    # Records per calendar day of each weekday (May 2025 has 4 or 5 of each).
    days = pl.DataFrame({"day": stamps.dt.date(), "weekday": weekday})
    per_day = days.group_by("weekday").agg(pl.len() / pl.col("day").n_unique()).sort("weekday")
    rate = dict(per_day.iter_rows())
    assert min(rate[2], rate[3], rate[4]) > max(rate[1], rate[5])
    assert max(rate.get(6, 0), rate.get(7, 0)) < 0.2 * rate[3]


def test_hours_follow_the_working_day(busy_month):
    ctx, frames = busy_month
    hours = local(frames.activities, "created_at", ctx.timezone).dt.hour()
    counts = hours.value_counts().sort("created_at")
    per_hour = dict(counts.iter_rows())
    assert set(per_hour) <= set(range(8, 18))
    assert per_hour[10] > per_hour[12] < per_hour[14]  # a lunch dip between two peaks
    assert per_hour[10] > per_hour[8] and per_hour[15] > per_hour[17]


def test_dst_switch_month_stays_in_local_business_hours():
    ctx = existing_tenant(timezone="America/New_York")  # DST starts 2025-03-09
    frames = generate_month("2025-03", BUSY, ctx, as_of=AS_OF, job_id=JOB, seed=3)
    assert_all_rules(frames, ctx)
    before = frames.contacts.filter(pl.col("created_at") < datetime(2025, 3, 9, tzinfo=UTC))
    after = frames.contacts.filter(pl.col("created_at") > datetime(2025, 3, 10, tzinfo=UTC))
    # 08:00 New York is 13:00 UTC in winter and 12:00 UTC in summer.
    assert lowest(before["created_at"].dt.hour(), int) >= 13
    assert lowest(after["created_at"].dt.hour(), int) == 12


def test_tenant_created_mid_month_gets_nothing_earlier():
    created = datetime(2025, 4, 16, 15, 30, tzinfo=UTC)
    ctx = make_ctx(created_at=created)
    frames = generate_month("2025-04", EXAMPLE_JANUARY, ctx, as_of=AS_OF, job_id=JOB, seed=5)
    assert_targets_met(frames, ctx.timezone, [("2025-04", EXAMPLE_JANUARY)])
    assert_all_rules(frames, ctx)
    for _, frame in frames:
        assert (frame["created_at"] >= created).all()


def test_current_month_at_0905_on_its_first_day():
    zone = ZoneInfo("America/New_York")
    as_of = datetime(2025, 10, 1, 9, 5, tzinfo=zone)  # a Wednesday
    ctx = existing_tenant()
    frames = generate_month("2025-10", EXAMPLE_JANUARY, ctx, as_of=as_of, job_id=JOB, seed=1)
    assert_targets_met(frames, ctx.timezone, [("2025-10", EXAMPLE_JANUARY)])
    assert_all_rules(frames, ctx, as_of)
    opening = datetime(2025, 10, 1, 8, 0, tzinfo=zone).astimezone(UTC)
    until = as_of.astimezone(UTC)
    for _, frame in frames:
        assert frame["created_at"].is_between(opening, until).all()
    closed = frames.deals.filter(pl.col("closed_at").is_not_null())
    assert closed["closed_at"].is_between(opening, until).all()
    still_open = frames.deals.filter(pl.col("closed_at").is_null())
    assert (still_open["expected_close_date"] > as_of.date()).all()


def test_part_of_the_current_month_is_used_up_to_as_of():
    as_of = datetime(2025, 6, 18, 14, 0, tzinfo=UTC)
    ctx = existing_tenant()
    frames = generate_month("2025-06", BUSY, ctx, as_of=as_of, job_id=JOB, seed=2)
    assert_all_rules(frames, ctx, as_of)
    latest = max(highest(frame["created_at"], datetime) for _, frame in frames)
    assert datetime(2025, 6, 17, tzinfo=UTC) < latest <= as_of  # spread up to now


@pytest.mark.parametrize(
    ("month", "as_of", "created"),
    [
        ("2025-10", datetime(2025, 10, 1, 7, 30, tzinfo=ZoneInfo("America/New_York")), None),
        ("2025-11", datetime(2025, 10, 20, tzinfo=UTC), None),  # a future month
        ("2023-12", AS_OF, None),  # before the tenant existed
        ("2025-02", AS_OF, datetime(2025, 2, 28, 23, 30, tzinfo=UTC)),  # created after hours
    ],
)
def test_a_month_without_business_hours_left_is_refused(month, as_of, created):
    ctx = make_ctx(created_at=created) if created else existing_tenant()
    with pytest.raises(GenerationError) as error:
        generate_month(month, EXAMPLE_JANUARY, ctx, as_of=as_of, job_id=JOB, seed=1)
    message = str(error.value)
    assert message.startswith(f"{month}: ") and "leadsCreated (50)" in message
    assert "no business hours" in message and "\n" not in message


def test_a_zero_delta_month_needs_no_business_hours():
    frames = generate_month(
        "2025-11",
        {"leadsCreated": 0, "dealsCreated": None},
        existing_tenant(),
        as_of=datetime(2025, 10, 20, tzinfo=UTC),
        job_id=JOB,
        seed=1,
    )
    assert frames.records == 0


def test_a_window_of_only_weekend_hours_still_stamps_business_hours():
    as_of = datetime(2025, 11, 1, 12, 0, tzinfo=ZoneInfo("America/New_York"))  # a Saturday
    ctx = existing_tenant()
    frames = generate_month("2025-11", {"leadsCreated": 20}, ctx, as_of=as_of, job_id=JOB, seed=1)
    stamps = local(frames.contacts, "created_at", ctx.timezone)
    assert frames.contacts.height == 20
    assert stamps.dt.hour().is_between(8, 11).all() and (stamps.dt.day() == 1).all()


def test_sales_cycles_look_like_weeks_not_minutes(busy_month):
    ctx, frames = busy_month
    closed = frames.deals.filter(pl.col("closed_at").is_not_null())
    days = (closed["closed_at"] - closed["created_at"]).dt.total_hours() / 24
    assert 20 < days.median() < 70
    assert days.quantile(0.1) > 3 and (days >= 0).all()
