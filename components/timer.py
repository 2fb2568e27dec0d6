"""``timer:name?period=1000&delay=1000&repeatCount=0`` — starts an exchange every
``period``, as Camel's timer: times in milliseconds or with units (``period=5s``), the
first ``delay`` after the start (1 s by default; a negative one: at once),
``repeatCount`` times (0: for ever). Each exchange has an empty body; with
``includeMetadata=true`` also Camel's exchange properties ``CamelTimerName``,
``CamelTimerCounter`` (from 1), ``CamelTimerPeriod`` and ``CamelTimerFiredTime`` (a
header, too).

A tick waits for the previous one: a slow route is never run twice at once. The
period runs from the end of the previous tick, or, with ``fixedRate=true``, from when
it was due, so ticks keep their rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Annotated

from pydantic import BeforeValidator, Field

from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.durations import milliseconds
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange, utcnow

logger = logging.getLogger(__name__)

TIMER_NAME = "CamelTimerName"
TIMER_COUNTER = "CamelTimerCounter"
TIMER_PERIOD = "CamelTimerPeriod"
TIMER_FIRED_TIME = "CamelTimerFiredTime"

Duration = Annotated[float, BeforeValidator(milliseconds)]


def _delay(value: str | int | float) -> float:
    """A delay in milliseconds; a negative one (Camel's -1) is none."""
    if isinstance(value, str) and value.strip().startswith("-"):
        value = float(value)
    return 0.0 if isinstance(value, int | float) and value < 0 else milliseconds(value)


class TimerOptions(EndpointOptions):
    period: Duration = Field(default=1000, gt=0)  # milliseconds
    delay: Annotated[float, BeforeValidator(_delay)] = 1000  # milliseconds before the first
    repeat_count: int = Field(default=0, ge=0)  # ticks in all; 0: for ever
    fixed_rate: bool = False
    include_metadata: bool = False


class TimerEndpoint(Endpoint):
    def __init__(self, uri: str, name: str, options: TimerOptions) -> None:
        super().__init__(uri)
        self.name = name
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

    @property
    def done(self) -> bool:
        """Every tick fired: ``repeatCount`` was reached (or the consumer stopped)."""
        return self._task is not None and self._task.done()

    async def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._tick(), name=self.endpoint.uri)

    async def _tick(self) -> None:
        endpoint, options = self.endpoint, self.endpoint.options
        loop = asyncio.get_running_loop()
        due = loop.time() + options.delay / 1000
        counter = 0
        while not await self._stopped_within(max(0.0, due - loop.time())):
            counter += 1
            exchange = Exchange.of(None)
            if options.include_metadata:
                fired = utcnow()
                exchange.properties.update(
                    {
                        TIMER_NAME: endpoint.name,
                        TIMER_COUNTER: counter,
                        TIMER_PERIOD: int(options.period),
                        TIMER_FIRED_TIME: fired,
                    }
                )
                exchange.headers[TIMER_FIRED_TIME] = fired
            await self.handler(exchange)
            if exchange.failed:
                logger.warning("%s: tick %d failed: %s", endpoint.uri, counter, exchange.exception)
            if counter == options.repeat_count:
                return
            due = (due if options.fixed_rate else loop.time()) + options.period / 1000

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
            raise EndpointError(uri, "timer: needs a name, e.g. timer:cleanup?period=60s")
        return TimerEndpoint(uri, path, options)
