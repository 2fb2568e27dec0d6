"""The batch step: exchanges that reach it close together are handed to one processor
call, then each goes on alone — a database's group commit, with the completion rules
of Camel's aggregator (``completionSize``, ``completionTimeout``).

A group is completed when it holds ``size`` exchanges, when its first has waited
``timeout`` seconds, or as soon as no other exchange could join it soon: every
exchange the route has in flight waits at one of its batch steps (one order alone is
never held back), or every exchange of a *cohort* — those a batch consumer handed to
the route at once, such as a Kafka batch — that is still in the route waits at this
one (so a batch goes through the route's batch steps together, whatever other
batches are in flight). The processor runs in a task of its own, so a caller that goes away (an HTTP
client hanging up) never cancels a store call that others wait on. It sets each
exchange's result; to fail one exchange alone it sets that exchange's ``exception``,
which the step raises in that exchange's own flow, so its ``on_exception`` and
redelivery apply to it and to none of the others. An error the processor raises fails
every exchange of its group.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from endpoints.cohort import COHORT, Cohort
from endpoints.exchange import Exchange
from endpoints.processor import BatchProcessor

# Upper bounds of the batch size histogram (``route_batch_size``).
SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


@dataclass
class BatchSizes:
    """How many groups a batch step completed, and of what sizes."""

    count: int = 0
    total: int = 0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(SIZE_BUCKETS) + 1))

    def record(self, size: int) -> None:
        self.count += 1
        self.total += size
        self.buckets[bisect.bisect_left(SIZE_BUCKETS, size)] += 1

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class RouteParking:
    """The route's count of exchanges waiting at any of its batch steps, beside the
    count it has in flight: when the two are equal, every batch step completes. The
    check runs once the exchanges made ready together have all had their turn, so
    those that a consumer handed over at once arrive in one group."""

    def __init__(self, in_flight: Callable[[], int]) -> None:
        self._in_flight = in_flight
        self._batchers: list[Batcher] = []
        self._check_due = False
        self.parked = 0

    def add(self, batcher: Batcher) -> None:
        self._batchers.append(batcher)

    def park(self) -> None:
        self.parked += 1
        self.check_soon()

    def check_soon(self) -> None:
        """Check once the exchanges ready now have run (the route calls this too each
        time an exchange leaves it, as the one that left may have been the last)."""
        if self.parked and not self._check_due:
            self._check_due = True
            asyncio.get_running_loop().call_soon(self._check)

    def _check(self) -> None:
        self._check_due = False
        if self.parked >= self._in_flight():
            for batcher in self._batchers:
                batcher.complete()


class Batcher:
    def __init__(
        self,
        processor: BatchProcessor,
        size: int,
        timeout: float,
        sizes: BatchSizes,
        parking: RouteParking,
        track: Callable[[asyncio.Task[None]], None],
    ) -> None:
        self.processor = processor
        self.size = size
        self.timeout = timeout
        self.sizes = sizes
        self._parking = parking
        self._track = track
        self._waiting: list[tuple[Exchange, asyncio.Future[None]]] = []
        self._cohorts: dict[Cohort, int] = {}  # of the waiting exchanges, how many of each
        self._timer: asyncio.TimerHandle | None = None
        parking.add(self)

    async def __call__(self, exchange: Exchange) -> None:
        """Wait for the group ``exchange`` joins to be processed; raise its own error."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((exchange, done))
        cohort = exchange.properties.get(COHORT)
        if len(self._waiting) >= self.size:
            self.complete()
        elif isinstance(cohort, Cohort):
            self._cohorts[cohort] = self._cohorts.get(cohort, 0) + 1
            cohort.waits_at(self)
            self.complete_cohort(cohort)
        if self._waiting and self._timer is None:
            self._timer = loop.call_later(self.timeout, self.complete)
        self._parking.park()
        try:
            await done
        except asyncio.CancelledError:
            self._leave(exchange)
            raise
        error, exchange.exception = exchange.exception, None
        if error is not None:
            raise error

    def complete_cohort(self, cohort: Cohort) -> None:
        """Complete the group once every exchange of ``cohort`` still in the route waits
        here (exchanges of other cohorts waiting here go along)."""
        if 0 < cohort.in_route <= self._cohorts.get(cohort, 0):
            self.complete()

    def complete(self) -> None:
        """Hand the exchanges waiting now to the processor, ``size`` at a time."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._cohorts.clear()
        while self._waiting:
            group, self._waiting = self._waiting[: self.size], self._waiting[self.size :]
            self._parking.parked -= len(group)
            self.sizes.record(len(group))
            self._track(asyncio.create_task(self._process(group)))

    async def _process(self, group: list[tuple[Exchange, asyncio.Future[None]]]) -> None:
        try:
            await self.processor([exchange for exchange, _ in group])
        except Exception as error:  # fails the whole group, each in its own flow
            for _, done in group:
                if not done.done():
                    done.set_exception(error)
            return
        for _, done in group:
            if not done.done():
                done.set_result(None)

    def _leave(self, exchange: Exchange) -> None:
        """A cancelled exchange that no group took yet leaves the queue."""
        for index, (waiting, _) in enumerate(self._waiting):
            if waiting is exchange:
                del self._waiting[index]
                self._parking.parked -= 1
                cohort = exchange.properties.get(COHORT)
                if isinstance(cohort, Cohort) and cohort in self._cohorts:
                    self._cohorts[cohort] -= 1
                return
