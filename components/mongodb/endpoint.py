"""A ``mongodb:`` endpoint: one collection, one operation, sent to only.

It takes its client from the component's pool at start and never closes it: the
component owns the clients and closes them when it stops.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.mongodb.client_pool import ClientPool, Collection
from components.mongodb.operations import GROUP_OPERATIONS, OPERATIONS, GroupOperation, Operation
from components.mongodb.options import MongoOptions
from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.exchange import Exchange


class MongoEndpoint(Endpoint):
    def __init__(
        self,
        uri: str,
        *,
        pool: ClientPool,
        connection_string: str,
        database: str,
        collection_name: str,
        options: MongoOptions,
    ) -> None:
        super().__init__(uri)
        self.database = database
        self.collection_name = collection_name
        self.options = options
        self.collection: Collection | None = None
        self._pool = pool
        self._connection_string = connection_string

    async def start(self) -> None:
        client = await self._pool.open(self._connection_string)
        self.collection = client[self.database][self.collection_name]

    async def stop(self) -> None:
        self.collection = None

    def create_producer(self) -> Producer:
        operation = self.options.operation
        return MongoProducer(self, OPERATIONS[operation], GROUP_OPERATIONS.get(operation))

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(
            f"{self.uri}: mongodb endpoints can only be sent to "
            "(consuming changes needs change streams, which FerretDB lacks)"
        )


class MongoProducer(Producer):
    def __init__(
        self, endpoint: MongoEndpoint, operation: Operation, group: GroupOperation | None
    ) -> None:
        self.endpoint = endpoint
        self._operation = operation
        self._group = group

    def _collection(self) -> Collection:
        if self.endpoint.collection is None:
            raise RuntimeError(f"{self.endpoint.uri} is not started")
        return self.endpoint.collection

    async def process(self, exchange: Exchange) -> None:
        await self._operation(self._collection(), exchange)

    async def process_all(self, exchanges: Sequence[Exchange]) -> None:
        """A group in one call where the operation can (``insert``), else in turn."""
        if self._group is None:
            await super().process_all(exchanges)
        else:
            await self._group(self._collection(), exchanges)
