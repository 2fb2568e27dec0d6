"""``direct:name`` — a synchronous in-process call into the route consuming ``name``.

The caller's exchange runs through the called route and comes back changed; an
error the called route did not handle is raised to the caller's error handler.
"""

from __future__ import annotations

from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange


class DirectConsumerNotAvailable(RuntimeError):
    pass


class DirectEndpoint(Endpoint):
    def __init__(self, uri: str, name: str) -> None:
        super().__init__(uri)
        self.name = name
        self.handler: RouteHandler | None = None

    def create_producer(self) -> Producer:
        return DirectProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        return DirectConsumer(self, handler)


class DirectProducer(Producer):
    def __init__(self, endpoint: DirectEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        handler = self.endpoint.handler
        if handler is None:
            raise DirectConsumerNotAvailable(f"no route consumes {self.endpoint.uri}")
        await handler(exchange)
        if exchange.exception is not None:
            error, exchange.exception = exchange.exception, None
            raise error


class DirectConsumer(Consumer):
    endpoint: DirectEndpoint

    async def start(self) -> None:
        if self.endpoint.handler is not None:
            raise EndpointError(self.endpoint.uri, "another route already consumes it")
        self.endpoint.handler = self.handler

    async def stop(self) -> None:
        self.endpoint.handler = None


class DirectComponent(Component[EndpointOptions]):
    def make_endpoint(self, uri: str, path: str, options: EndpointOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "direct: needs a name, e.g. direct:orders")
        return DirectEndpoint(uri, path)
