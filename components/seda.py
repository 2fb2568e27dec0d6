"""``seda:name?size=1000&concurrentConsumers=4`` — a bounded in-process queue.

Producers hand over a copy of the exchange and return (or, with
``waitForTaskToComplete=true``, wait for the consuming route). A full queue makes
producers wait (back-pressure), or fail at once with ``blockWhenFull=false``.
At stop the consumers drain what is queued before they end.
"""

from __future__ import annotations

import asyncio
import logging

from pydantic import Field

from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange

logger = logging.getLogger(__name__)


class SedaQueueFull(RuntimeError):
    pass


class SedaOptions(EndpointOptions):
    size: int = Field(default=1000, ge=1)
    concurrent_consumers: int = Field(default=1, ge=1, le=1000)
    block_when_full: bool = True
    wait_for_task_to_complete: bool = False


class _Work:
    __slots__ = ("done", "exchange")

    def __init__(self, exchange: Exchange, done: asyncio.Future[None] | None) -> None:
        self.exchange = exchange
        self.done = done


class SedaQueue:
    """The queue behind every endpoint of one name; ``has_consumer`` keeps it to one route."""

    def __init__(self, size: int) -> None:
        self.items: asyncio.Queue[_Work] = asyncio.Queue(maxsize=size)
        self.has_consumer = False


class SedaEndpoint(Endpoint):
    """``seda:q`` and ``seda:q?concurrentConsumers=8`` share the queue ``q``; each
    endpoint's own options say how it sends or consumes."""

    def __init__(self, uri: str, options: SedaOptions, queue: SedaQueue) -> None:
        super().__init__(uri)
        self.options = options
        self.shared = queue

    @property
    def queue(self) -> asyncio.Queue[_Work]:
        return self.shared.items

    def create_producer(self) -> Producer:
        return SedaProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        return SedaConsumer(self, handler)


class SedaProducer(Producer):
    def __init__(self, endpoint: SedaEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        options = self.endpoint.options
        done = (
            asyncio.get_running_loop().create_future()
            if options.wait_for_task_to_complete
            else None
        )
        work = _Work(exchange if done else exchange.copy(), done)
        if options.block_when_full:
            await self.endpoint.queue.put(work)
        else:
            try:
                self.endpoint.queue.put_nowait(work)
            except asyncio.QueueFull:
                raise SedaQueueFull(f"{self.endpoint.uri} is full ({options.size})") from None
        if done is not None:
            await done


class SedaConsumer(Consumer):
    endpoint: SedaEndpoint

    def __init__(self, endpoint: Endpoint, handler: RouteHandler) -> None:
        super().__init__(endpoint, handler)
        self._workers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.endpoint.shared.has_consumer:
            raise EndpointError(self.endpoint.uri, "another route already consumes it")
        self.endpoint.shared.has_consumer = True
        self._workers = [
            asyncio.create_task(self._work(), name=f"{self.endpoint.uri}#{n}")
            for n in range(self.endpoint.options.concurrent_consumers)
        ]

    async def _work(self) -> None:
        queue = self.endpoint.queue
        while True:
            work = await queue.get()
            try:
                await self.handler(work.exchange)
            except Exception:  # the route records failures; this guards the worker itself
                logger.exception("%s: consumer failed", self.endpoint.uri)
            finally:
                if work.done is not None and not work.done.done():
                    work.done.set_result(None)
                queue.task_done()

    async def stop(self) -> None:
        """Drain the queue, then end the workers (also when the caller's grace runs out)."""
        try:
            if self._workers:
                await self.endpoint.queue.join()
        finally:
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers = []
            self.endpoint.shared.has_consumer = False


class SedaComponent(Component[SedaOptions]):
    options_model = SedaOptions

    def __init__(self) -> None:
        self._queues: dict[str, SedaQueue] = {}

    def make_endpoint(self, uri: str, path: str, options: SedaOptions) -> Endpoint:
        """One queue per name, sized by the first URI that names it."""
        if not path:
            raise EndpointError(uri, "seda: needs a queue name, e.g. seda:orders")
        queue = self._queues.setdefault(path, SedaQueue(options.size))
        return SedaEndpoint(uri, options, queue)
