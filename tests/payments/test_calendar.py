"""On which day an order is paid (``payments.domain.calendar``), at given times: no test
waits for a day. 2026-12-07 is a Monday; Berlin is UTC+1 in winter, UTC+2 in summer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from payments.domain.calendar import (
    BusinessCalendar,
    ExecutionDateRefused,
    ExecutionDay,
    ExecutionRules,
)

RULES = ExecutionRules()  # TARGET, 16:00 cut-off, Europe/Berlin, 365 days ahead
MONDAY_NOON = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # 12:00 in Berlin


def on(day: str, rules: ExecutionRules = RULES, received: datetime = MONDAY_NOON) -> ExecutionDay:
    return rules.execution_day(date.fromisoformat(day), received)


def test_as_soon_as_possible_on_a_business_day_before_the_cut_off_is_today() -> None:
    assert RULES.execution_day(None, MONDAY_NOON) == ExecutionDay(date(2026, 12, 7))
    assert on("2026-12-07") == ExecutionDay(date(2026, 12, 7))
    assert on("2026-12-09") == ExecutionDay(date(2026, 12, 9))


def test_a_weekend_goes_to_the_monday_after() -> None:
    assert on("2026-12-12") == ExecutionDay(
        date(2026, 12, 14), "2026-12-12 is a weekend; 2026-12-13 is a weekend"
    )


@pytest.mark.parametrize(
    ("asked", "paid", "closed"),
    [
        ("2026-05-01", "2026-05-04", "Labour Day"),  # a Friday
        ("2027-01-01", "2027-01-04", "New Year's Day"),  # a Friday
        ("2026-04-03", "2026-04-07", "Good Friday"),  # then Easter Monday
        ("2026-12-24", "2026-12-24", None),  # Christmas Eve is no TARGET closing day
    ],
)
def test_target_closing_days_go_to_the_next_business_day(
    asked: str, paid: str, closed: str | None
) -> None:
    received = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    found = on(asked, received=received)
    assert found.day == date.fromisoformat(paid)
    if closed is None:
        assert found.reason is None
    else:
        assert found.reason is not None
        assert found.reason.startswith(f"{asked} is a TARGET closing day ({closed})")


def test_christmas_and_the_weekend_after_it_are_skipped_with_each_reason() -> None:
    assert on("2026-12-25") == ExecutionDay(
        date(2026, 12, 28),
        "2026-12-25 is a TARGET closing day (Christmas Day); "
        "2026-12-26 is a weekend; 2026-12-27 is a weekend",
    )


def test_an_order_for_today_after_the_cut_off_is_paid_on_the_next_business_day() -> None:
    late = datetime(2026, 12, 11, 15, 30, tzinfo=UTC)  # Friday 16:30 in Berlin
    assert on("2026-12-11", received=late) == ExecutionDay(
        date(2026, 12, 14),
        "received after the 16:00 cut-off; 2026-12-12 is a weekend; 2026-12-13 is a weekend",
    )
    on_the_dot = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)  # 16:00: not after it
    assert on("2026-12-11", received=on_the_dot) == ExecutionDay(date(2026, 12, 11))
    # An order for a later day is not moved by today's cut-off.
    assert on("2026-12-14", received=late) == ExecutionDay(date(2026, 12, 14))


def test_an_order_without_a_day_is_paid_at_once_whatever_the_day_or_hour() -> None:
    saturday_night = datetime(2026, 12, 12, 22, 0, tzinfo=UTC)
    assert RULES.execution_day(None, saturday_night) == ExecutionDay(date(2026, 12, 12))


def test_the_cut_off_is_local_time_summer_or_winter() -> None:
    summer = datetime(2026, 7, 1, 14, 30, tzinfo=UTC)  # 16:30 in Berlin (UTC+2)
    winter = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 15:30 in Berlin (UTC+1)
    assert on("2026-07-01", received=summer).day == date(2026, 7, 2)
    assert on("2026-12-01", received=winter).day == date(2026, 12, 1)
    new_york = ExecutionRules(zone=ZoneInfo("America/New_York"))
    assert on("2026-12-01", new_york, winter).day == date(2026, 12, 1)  # 09:30 there


def test_a_leap_day_is_a_day_like_another() -> None:
    received = datetime(2028, 2, 1, 9, 0, tzinfo=UTC)
    assert on("2028-02-29", received=received) == ExecutionDay(date(2028, 2, 29))  # a Tuesday


def test_a_day_in_the_past_is_refused_by_the_local_day() -> None:
    with pytest.raises(
        ExecutionDateRefused, match=r"2026-12-06 is in the past \(today is 2026-12-07\)"
    ):
        on("2026-12-06")
    # 23:30 UTC on the 7th is already the 8th in Berlin: the 7th is past there.
    midnight = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    with pytest.raises(ExecutionDateRefused, match="in the past"):
        on("2026-12-07", received=midnight)


def test_a_day_beyond_the_horizon_is_refused() -> None:
    assert on("2027-12-07").day == date(2027, 12, 7)  # 365 days ahead, a Tuesday
    with pytest.raises(ExecutionDateRefused, match="more than 365 days ahead"):
        on("2027-12-08")
    with pytest.raises(ExecutionDateRefused, match="more than 30 days ahead"):
        on("2027-01-07", ExecutionRules(horizon_days=30))


def test_weekends_only_and_every_day_calendars() -> None:
    weekends = ExecutionRules(calendar=BusinessCalendar.WEEKENDS)
    assert on("2026-12-25", weekends) == ExecutionDay(date(2026, 12, 25))  # open on Christmas
    assert on("2026-12-26", weekends).day == date(2026, 12, 28)
    every_day = ExecutionRules(calendar=BusinessCalendar.NONE, cutoff=None)
    late_saturday = datetime(2026, 12, 12, 22, 0, tzinfo=UTC)  # 23:00 in Berlin
    assert on("2026-12-12", every_day, late_saturday) == ExecutionDay(date(2026, 12, 12))
    assert every_day.closed(date(2026, 12, 25)) is None


def test_the_cut_off_can_be_another_time() -> None:
    early = ExecutionRules(cutoff=time(11, 0))
    assert on("2026-12-07", early).day == date(2026, 12, 8)
