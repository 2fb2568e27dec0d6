"""Cohort: the exchanges a batch consumer (a Kafka batch) hands to a route at once.

The consumer makes one and sets it as each exchange's ``COHORT`` property; the
route's batch steps read it to take the cohort's exchanges in one group.
"""

from __future__ import annotations

from typing import Protocol

# Exchange property: the Cohort an exchange entered its route with.
COHORT = "batch.cohort"


class CohortWaiter(Protocol):
    """Where some of a cohort's exchanges wait for the others (a batch step)."""

    def complete_cohort(self, cohort: Cohort) -> None: ...


class Cohort:
    """The consumer calls ``left`` as each exchange is done with the route (it may
    leave early: a duplicate, a failure), so no step waits for one that left."""

    def __init__(self, size: int) -> None:
        self.in_route = size
        self._waiters: set[CohortWaiter] = set()

    def waits_at(self, waiter: CohortWaiter) -> None:
        self._waiters.add(waiter)

    def left(self) -> None:
        self.in_route -= 1
        for waiter in list(self._waiters):
            waiter.complete_cohort(self)
