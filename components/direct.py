"""``direct:name`` — a synchronous in-process call into the route consuming ``name``.

The caller's exchange runs through the called route and comes back changed; an
error the called route did not handle is raised to the caller's error handler.
As in Camel, a call before any route consumes ``name`` waits for one up to ``timeout``
(30 s) and then fails; ``block=false`` fails at once. A call after its route stopped
fails at once, so that stopping never waits on it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from pydantic import BeforeValidator

from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.durations import milliseconds
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange


class DirectConsumerNotAvailable(RuntimeError):
    pass


class DirectOptions(EndpointOptions):
    block: bool = True
    timeout: Annotated[float, BeforeValidator(milliseconds)] = 30_000  # milliseconds


class DirectChannel:
    """The route consuming one name, shared by every URI that names it."""

    def __init__(self) -> None:
        self.handler: RouteHandler | None = None
        self.attached = asyncio.Event()
        self.stopped = False

    async def consumer(self, options: DirectOptions) -> RouteHandler | None:
        if self.handler is None and options.block and not self.stopped:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.attached.wait(), options.timeout / 1000)
        return self.handler


class DirectEndpoint(Endpoint):
    def __init__(self, uri: str, channel: DirectChannel, options: DirectOptions) -> None:
        super().__init__(uri)
        self.channel = channel
        self.options = options

    def create_producer(self) -> Producer:
        return DirectProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        return DirectConsumer(self, handler)


class DirectProducer(Producer):
    def __init__(self, endpoint: DirectEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        channel = self.endpoint.channel
        handler = channel.handler or await channel.consumer(self.endpoint.options)
        if handler is None:
            raise DirectConsumerNotAvailable(f"no route consumes {self.endpoint.uri}")
        await handler(exchange)
        if exchange.exception is not None:
            error, exchange.exception = exchange.exception, None
            raise error


class DirectConsumer(Consumer):
    endpoint: DirectEndpoint

    async def start(self) -> None:
        channel = self.endpoint.channel
        if channel.handler is not None:
            raise EndpointError(self.endpoint.uri, "another route already consumes it")
        channel.handler = self.handler
        channel.stopped = False
        channel.attached.set()

    async def stop(self) -> None:
        channel = self.endpoint.channel
        channel.handler = None
        channel.stopped = True
        channel.attached.clear()


class DirectComponent(Component[DirectOptions]):
    options_model = DirectOptions

    def __init__(self) -> None:
        self._channels: dict[str, DirectChannel] = {}

    def make_endpoint(self, uri: str, path: str, options: DirectOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "direct: needs a name, e.g. direct:orders")
        return DirectEndpoint(uri, self._channels.setdefault(path, DirectChannel()), options)
