"""``mock:name`` — records what it is sent, for tests (Camel's mock component).

``await mock_endpoint.expect(3)`` waits, with a deadline, until three
exchanges arrived and returns them; ``arrived_at`` says when each came (the event
loop's clock).
"""

from __future__ import annotations

import asyncio

from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.exchange import Exchange


class MockEndpoint(Endpoint):
    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.received: list[Exchange] = []
        self.arrived_at: list[float] = []
        self._arrived = asyncio.Condition()

    def create_producer(self) -> Producer:
        return MockProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(f"{self.uri}: mock endpoints can only be sent to")

    async def record(self, exchange: Exchange) -> None:
        async with self._arrived:
            self.received.append(exchange.copy())
            self.arrived_at.append(asyncio.get_running_loop().time())
            self._arrived.notify_all()

    async def expect(self, count: int, within: float = 5.0) -> list[Exchange]:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return self.received

    @property
    def bodies(self) -> list[object]:
        return [exchange.body for exchange in self.received]


class MockProducer(Producer):
    def __init__(self, endpoint: MockEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        await self.endpoint.record(exchange)


class MockComponent(Component[EndpointOptions]):
    def make_endpoint(self, uri: str, path: str, options: EndpointOptions) -> Endpoint:
        return MockEndpoint(uri)
