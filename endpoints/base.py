"""The contract every endpoint keeps, as in Camel: an Endpoint makes Producers and
Consumers; a Producer sends an exchange somewhere; a Consumer feeds exchanges from
somewhere into a route.

Constructors do no I/O: connecting happens in ``start()``, so building a route can
fail fast on a bad URI without touching the network.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from endpoints.exchange import Exchange

# What a consumer hands each exchange to: the route. When it returns, the route is
# done with the exchange; ``exchange.failed`` says whether the source may forget it.
RouteHandler = Callable[[Exchange], Awaitable[None]]


class Service(ABC):  # noqa: B024 - start/stop are optional hooks, not abstract
    """Something with a lifecycle. Default hooks do nothing."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class Producer(Service):
    @abstractmethod
    async def process(self, exchange: Exchange) -> None:
        """Send the exchange; a reply, if any, replaces its body."""

    async def process_all(self, exchanges: Sequence[Exchange]) -> None:
        """Send a group of exchanges (a batch step's ``to``); one that fails gets its
        error as its ``exception`` and fails alone. A producer that can send a group in
        one call (a bulk insert) overrides this; by default each is sent in turn."""
        for exchange in exchanges:
            try:
                await self.process(exchange)
            except Exception as error:  # this exchange's failure, not the group's
                exchange.exception = error


class Consumer(Service):
    def __init__(self, endpoint: Endpoint, handler: RouteHandler) -> None:
        self.endpoint = endpoint
        self.handler = handler


@runtime_checkable
class PartitionedConsumer(Protocol):
    """A consumer that reads a partitioned log as one of a group (Kafka's): which
    partitions it owns and how far behind it is, for readiness checks and metrics."""

    @property
    def topic(self) -> str: ...

    @property
    def group_id(self) -> str: ...

    def assigned_partitions(self) -> list[int]:
        """The partitions it owns now (none while the group rebalances)."""
        ...

    def lag(self) -> dict[int, int]:
        """Per owned partition, the records not yet committed by the group."""
        ...


class Endpoint(Service):
    def __init__(self, uri: str) -> None:
        self.uri = uri

    @abstractmethod
    def create_producer(self) -> Producer: ...

    @abstractmethod
    def create_consumer(self, handler: RouteHandler) -> Consumer: ...

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.uri!r})"


class ConsumerNotSupported(Exception):
    """Raised by endpoints that can only be sent to (for example ``log:``)."""
