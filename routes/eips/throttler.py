"""Camel's throttle: at most the number the expression gives of exchanges starting per
time period past this point (``TotalRequests``, Camel's default), or that many at once
(``ConcurrentRequests``: an exchange holds its place until its unit of work is done).
Others wait for their turn, or, with ``reject_execution``, fail at once. With a
correlation expression each key it gives has a throttle of its own. When the maximum
evaluates to nothing, the last one given holds, as in Camel."""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from endpoints.exchange import Exchange
from routes.pipeline import call
from routes.steps import ThrottleStep


class ThrottlerRejected(RuntimeError):
    """Camel's ThrottlerRejectedExecutionException: no room now, and waiting refused."""


class Throttler:
    def __init__(self, definition: ThrottleStep) -> None:
        self.definition = definition
        self._limit: int | None = None
        self._groups: dict[Any, _Group] = {}

    async def __call__(self, exchange: Exchange) -> None:
        definition = self.definition
        value = await call(definition.expression, exchange)
        if value is not None:
            self._limit = int(value)
        if self._limit is None:
            raise ValueError("throttle: the maximum evaluated to nothing, and none came before")
        key = None
        if definition.correlation is not None:
            key = await call(definition.correlation, exchange)
        group = self._groups.setdefault(key, _Group(definition))
        if definition.mode == "TotalRequests":
            await group.within_period(self._limit)
        else:
            await group.at_once(self._limit, exchange)


class _Group:
    """The exchanges of one correlation key."""

    def __init__(self, definition: ThrottleStep) -> None:
        self.time_period = definition.time_period
        self.reject_execution = definition.reject_execution
        self._active = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._started: collections.deque[float] = collections.deque()

    async def at_once(self, limit: int, exchange: Exchange) -> None:
        if self._active >= limit and self.reject_execution:
            raise ThrottlerRejected(f"{self._active} exchanges at once, of {limit} allowed")
        while self._active >= limit:
            turn = asyncio.get_running_loop().create_future()
            self._waiting.append(turn)
            await turn
        self._active += 1
        exchange.on_completion.append(self._release)

    def _release(self) -> None:
        """An exchange's unit of work is done: the next waiting one may go."""
        self._active -= 1
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # not given up (cancelled) meanwhile
                turn.set_result(None)
                return

    async def within_period(self, limit: int) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._started and self._started[0] <= now - self.time_period:
                self._started.popleft()
            if len(self._started) < limit:
                self._started.append(now)
                return
            if self.reject_execution:
                raise ThrottlerRejected(f"{limit} exchanges in {self.time_period:g} s already")
            await asyncio.sleep(self._started[0] + self.time_period - now)
