"""``timer:name?period=10&delay=0`` — starts an exchange every ``period`` seconds.

A tick waits for the previous one: a slow route is never run twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from pydantic import Field

from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange

logger = logging.getLogger(__name__)

TIMER_COUNTER = "timer.counter"


class TimerOptions(EndpointOptions):
    period: float = Field(default=1.0, gt=0)
    delay: float = Field(default=0.0, ge=0)


class TimerEndpoint(Endpoint):
    def __init__(self, uri: str, options: TimerOptions) -> None:
        super().__init__(uri)
        self.options = options

    def create_producer(self) -> Producer:
        raise EndpointError(self.uri, "a timer can only start routes, not be sent to")

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        return TimerConsumer(self, handler)


class TimerConsumer(Consumer):
    endpoint: TimerEndpoint

    def __init__(self, endpoint: Endpoint, handler: RouteHandler) -> None:
        super().__init__(endpoint, handler)
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._tick(), name=self.endpoint.uri)

    async def _tick(self) -> None:
        options = self.endpoint.options
        wait = options.delay
        counter = 0
        while not await self._stopped_within(wait):
            counter += 1
            exchange = Exchange.of(None, {TIMER_COUNTER: counter})
            await self.handler(exchange)
            if exchange.failed:
                logger.warning(
                    "%s: tick %d failed: %s", self.endpoint.uri, counter, exchange.exception
                )
            wait = options.period

    async def _stopped_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def stop(self) -> None:
        """Let a running tick finish; start no more."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None


class TimerComponent(Component[TimerOptions]):
    options_model = TimerOptions

    def make_endpoint(self, uri: str, path: str, options: TimerOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "timer: needs a name, e.g. timer:cleanup?period=60")
        return TimerEndpoint(uri, options)
