"""Cohort: the exchanges a batch consumer (a Kafka batch) hands to a route at once.

The consumer makes one and sets it as each exchange's ``COHORT`` property; the
route's batch steps read it to take the cohort's exchanges in one group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from endpoints.exchange import Exchange

# Exchange property: the Cohort an exchange entered its route with.
COHORT = "batch.cohort"


class CohortWaiter(Protocol):
    """Where some of a cohort's exchanges wait for the others (a batch step)."""

    def complete_cohort(self, cohort: Cohort) -> None: ...


class Cohort:
    """The consumer calls ``left`` as each exchange is done with the route (it may
    leave early: a duplicate, a failure), so no step waits for one that left; the
    error handler calls it as soon as an exchange goes to its dead letter, which runs
    none of the route's batch steps. Once per exchange counts."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.in_route = size
        self.counted = False  # by the route's metrics, as a batch its source took
        self._waiters: set[CohortWaiter] = set()
        self._left: set[str] = set()

    def waits_at(self, waiter: CohortWaiter) -> None:
        self._waiters.add(waiter)

    def left(self, exchange: Exchange | None) -> None:
        """``exchange`` is done with the route's batch steps; None: a record that never
        became an exchange."""
        if exchange is not None:
            if exchange.id in self._left:
                return
            self._left.add(exchange.id)
        self.in_route -= 1
        for waiter in list(self._waiters):
            waiter.complete_cohort(self)
