"""One ``AsyncMongoClient`` per connection string, shared by every user of a component.

A client holds a connection pool and monitor tasks, so one per endpoint would
multiply both. Making a client does no I/O; ``open`` pings it once, so a store that
is down fails the start within the server selection timeout instead of hanging.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from components.mongodb.codecs import DECIMAL_TYPES
from components.mongodb.connect_guard import close_client

Document = dict[str, Any]
Collection = AsyncCollection[Document]


class ClientPool:
    def __init__(
        self,
        *,
        server_selection_timeout_ms: int,
        socket_timeout_ms: int | None,
        connect_timeout_ms: int = 5000,
    ) -> None:
        self._server_selection_timeout_ms = server_selection_timeout_ms
        self._socket_timeout_ms = socket_timeout_ms
        self._connect_timeout_ms = connect_timeout_ms
        self._clients: dict[str, AsyncMongoClient[Document]] = {}
        self._reachable: set[str] = set()

    def client(self, uri: str) -> AsyncMongoClient[Document]:
        """The client for ``uri``, made (without connecting) on first use."""
        if uri not in self._clients:
            self._clients[uri] = AsyncMongoClient(
                uri,
                serverSelectionTimeoutMS=self._server_selection_timeout_ms,
                # Bounds each reply, so no operation hangs on a store that stopped answering.
                # (Not timeoutMS: with it pymongo ignores serverSelectionTimeoutMS.)
                socketTimeoutMS=self._socket_timeout_ms,
                connectTimeoutMS=self._connect_timeout_ms,  # pymongo's default is 20 s
                uuidRepresentation="standard",
                tz_aware=True,
                type_registry=DECIMAL_TYPES,
            )
        return self._clients[uri]

    async def open(self, uri: str) -> AsyncMongoClient[Document]:
        """The client for ``uri``, checked reachable: raises ServerSelectionTimeoutError."""
        client = self.client(uri)
        if uri not in self._reachable:
            await client.admin.command("ping")
            self._reachable.add(uri)
        return client

    async def open_all(self) -> None:
        for uri in list(self._clients):
            await self.open(uri)

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        self._reachable.clear()
        for client in clients.values():
            await close_client(client)
