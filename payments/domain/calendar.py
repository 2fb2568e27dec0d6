"""On which day an order is paid: business days, the cut-off, how far ahead.

Banks execute on business days, before a cut-off. An order may name the day it is to
be paid (ISO 20022's requested execution date); it is paid on that day if it is a
business day, else on the next one, and an order for today received after the cut-off
on the next business day too. An order that names no day is paid as soon as possible:
at once, as the gateway pays any day. Which days are business days is a calendar
(``BUSINESS_CALENDAR``):

- ``TARGET``: Monday to Friday but the TARGET2 closing days the ECB publishes (New
  Year's Day, Good Friday, Easter Monday, 1 May, 25 and 26 December), from the
  ``holidays`` library's calendar of the ECB (``XECB``);
- ``weekends``: Monday to Friday;
- ``none``: every day, as instant payment schemes run.

Days and the cut-off are in ``EXECUTION_TIMEZONE``. Nothing here reads a clock: the
time an order was received is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import holidays


class BusinessCalendar(StrEnum):
    TARGET = "TARGET"
    WEEKENDS = "weekends"
    NONE = "none"


class ExecutionDateRefused(ValueError):
    """A requested execution date no rule can pay on: in the past, or too far ahead."""


@dataclass(frozen=True)
class ExecutionDay:
    """The day an order is paid, and why it is not the day asked for (None when it is)."""

    day: date
    reason: str | None = None


BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class ExecutionRules:
    calendar: BusinessCalendar = BusinessCalendar.TARGET
    cutoff: time | None = time(16, 0)  # local; None: an order for today is paid today
    zone: ZoneInfo = BERLIN
    horizon_days: int = 365  # how far ahead an order may be for

    def today(self, now: datetime) -> date:
        """The local day of ``now`` (a timezone-aware time)."""
        return now.astimezone(self.zone).date()

    def closed(self, day: date) -> str | None:
        """Why ``day`` is no business day (a weekend, a closing day's name), or None."""
        if self.calendar is BusinessCalendar.NONE:
            return None
        if day.weekday() >= 5:
            return "a weekend"
        if self.calendar is BusinessCalendar.TARGET:
            name = _target_closing_days().get(day)
            if name is not None:
                return f"a TARGET closing day ({name})"
        return None

    def execution_day(self, requested: date | None, received: datetime) -> ExecutionDay:
        """The business day an order asking for ``requested`` (None: as soon as possible,
        which is today), received at ``received``, is paid on; ExecutionDateRefused for a
        day in the past or beyond the horizon."""
        local = received.astimezone(self.zone)
        today = local.date()
        if requested is None:
            return ExecutionDay(today)
        if requested < today:
            raise ExecutionDateRefused(f"{requested} is in the past (today is {today})")
        if requested > today + timedelta(days=self.horizon_days):
            raise ExecutionDateRefused(
                f"{requested} is more than {self.horizon_days} days ahead (today is {today})"
            )
        day = requested
        reasons: list[str] = []
        if day == today and self.cutoff is not None and local.time() > self.cutoff:
            reasons.append(f"received after the {self.cutoff:%H:%M} cut-off")
            day += timedelta(days=1)
        while (why := self.closed(day)) is not None:
            reasons.append(f"{day} is {why}")
            day += timedelta(days=1)
        return ExecutionDay(day, "; ".join(reasons) or None)


@cache
def _target_closing_days() -> holidays.HolidayBase:
    """The ECB's TARGET2 closing days; the library adds each year as it is asked for."""
    return holidays.financial_holidays("XECB")
