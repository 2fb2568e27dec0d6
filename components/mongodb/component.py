"""The ``mongodb:`` component: named connection strings and the clients they share.

``MongoComponent(uri)`` gives the default connection (else ``MONGO_URI``);
``connections={"reports": "mongodb://..."}`` adds named ones that URIs pick with
``connection=reports``. Endpoints with the same connection string share one client,
made on first use, checked at start and closed when the component stops.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from components.mongodb.client_pool import ClientPool, Collection
from components.mongodb.endpoint import MongoEndpoint
from components.mongodb.options import MongoOptions
from endpoints.base import Endpoint
from endpoints.component import Component
from endpoints.errors import EndpointError


class MongoComponent(Component[MongoOptions]):
    options_model = MongoOptions

    def __init__(
        self,
        uri: str | None = None,
        *,
        connections: Mapping[str, str] | None = None,
        server_selection_timeout_ms: int = 2000,
        socket_timeout_ms: int | None = 10_000,
        connect_timeout_ms: int = 5000,
    ) -> None:
        self.default_uri = uri or os.environ.get("MONGO_URI") or None
        self.connections = dict(connections or {})
        self.pool = ClientPool(
            server_selection_timeout_ms=server_selection_timeout_ms,
            socket_timeout_ms=socket_timeout_ms,
            connect_timeout_ms=connect_timeout_ms,
        )

    def connection_string(self, name: str | None = None) -> str:
        """The connection string registered as ``name`` (None: the default one)."""
        if name is None:
            if self.default_uri is None:
                raise LookupError(
                    "no MongoDB connection: give MongoComponent(uri=...) or set MONGO_URI"
                )
            return self.default_uri
        if name not in self.connections:
            known = ", ".join(sorted(self.connections)) or "none"
            raise LookupError(f"unknown connection {name!r} (known: {known})")
        return self.connections[name]

    def make_endpoint(self, uri: str, path: str, options: MongoOptions) -> Endpoint:
        database, _, collection = path.partition(".")
        if not database or not collection:
            raise EndpointError(
                uri, "mongodb: needs <database>.<collection>, e.g. mongodb:payments.orders"
            )
        try:
            connection_string = self.connection_string(options.connection)
        except LookupError as error:
            raise EndpointError(uri, str(error)) from None
        return MongoEndpoint(
            uri,
            pool=self.pool,
            connection_string=connection_string,
            database=database,
            collection_name=collection,
            options=options,
        )

    def collection(self, database: str, name: str, connection: str | None = None) -> Collection:
        """A collection on the shared client, e.g. for an idempotent repository.

        Usable until the component stops: stopping closes the client for good.
        """
        return self.pool.client(self.connection_string(connection))[database][name]

    async def start(self) -> None:
        await self.pool.open_all()

    async def stop(self) -> None:
        await self.pool.close()
