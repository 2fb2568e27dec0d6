"""A clock the payment services read instead of the wall's, for tests about days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from endpoints.exchange import utcnow

# Monday 7 December 2026, 10:00 in Berlin: before the 16:00 cut-off.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class MovedClock:
    """The time as if it were ``start`` when the test began; ``move`` jumps ahead. It
    runs on with the real time, so what waits for time to pass still sees it pass."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - utcnow()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def move(self, by: timedelta) -> None:
        self.offset += by
