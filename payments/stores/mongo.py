"""The order store on MongoDB or FerretDB, whose only atomic write is an insert.

FerretDB 1.24 runs ``update`` and ``findAndModify`` as a read followed by a separate
blind write by ``_id``: a filter on the status is no compare-and-set there (two
concurrent transitions both "win"), and a concurrent update can be lost. Only a unique
index decides races. So every change of an order inserts its next version,
``order_versions._id = "<id>#<n>"``, with the whole new state: of several writers
that read version n, one inserts n + 1 and the others retry from it. The ``orders``
document (``_id`` = order id) is the newest version as far as known: created by
``create`` (whose unique sparse index on the idempotency key refuses a second order
with one key) and replaced after each change. The newest version is always found by
probing the next ``_id``, so a crash or race that leaves the document behind never
loses a change, and each read repairs what it finds behind. Every access is by
``_id`` or an insert: FerretDB's SQLite backend indexes nothing else. It runs the same
on MongoDB. Money goes through the Decimal codec of ``components.mongodb.codecs``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from components.mongodb.client_pool import Collection, Document
from components.mongodb.codecs import DECIMAL_TYPES
from payments.model import OrderStatus, PaymentOrder, check_transition
from payments.store import StoreUnavailable
from payments.stores.common import (
    Change,
    OrderIdTaken,
    from_document,
    page_size,
    published,
    replay,
    storable,
    store_time,
    to_document,
    transitioned,
)

ORDERS, VERSIONS = "orders", "order_versions"
_CODECS: CodecOptions[Document] = CodecOptions(
    tz_aware=True, type_registry=DECIMAL_TYPES, uuid_representation=UuidRepresentation.STANDARD
)
_NEWEST_FIRST = [("createdAt", DESCENDING), ("_id", DESCENDING)]
_OLDEST_UPDATE_FIRST = [("updatedAt", ASCENDING), ("_id", ASCENDING)]

Versioned = tuple[PaymentOrder, int]


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    """pymongo's "cannot reach the server" errors (server selection timeout, lost
    connection, no primary) as StoreUnavailable, which the API answers with 503."""
    try:
        yield
    except ConnectionFailure as error:
        raise StoreUnavailable(f"MongoDB unreachable: {error}") from error


def _version_id(order_id: str, version: int) -> str:
    return f"{order_id}#{version}"


def _order_document(order: PaymentOrder, version: int) -> Document:
    document = to_document(order, "python")
    return {"_id": document.pop("id"), **document, "version": version}


def _version_document(order: PaymentOrder, version: int) -> Document:
    return {"_id": _version_id(order.id, version), **to_document(order, "python")}


def _order(document: Document) -> PaymentOrder:
    # An order document's _id is the order id; a version document has an "id" field.
    return from_document({"id": document["_id"], **document})


class MongoOrderStore:
    """A connection string makes a client of the store's own, closed by ``stop``; a
    client passed in (shared, e.g. the ``mongodb`` component's) stays open."""

    def __init__(
        self,
        uri_or_client: str | AsyncMongoClient[Document],
        database: str = "payments",
        *,
        server_selection_timeout_ms: int = 2000,
        socket_timeout_ms: int | None = 10_000,
    ) -> None:
        self._owned = isinstance(uri_or_client, str)
        self._client: AsyncMongoClient[Document] = (
            AsyncMongoClient(
                uri_or_client,
                serverSelectionTimeoutMS=server_selection_timeout_ms,
                socketTimeoutMS=socket_timeout_ms,
            )
            if isinstance(uri_or_client, str)
            else uri_or_client
        )
        db = self._client[database]
        self.orders: Collection = db.get_collection(ORDERS, codec_options=_CODECS)
        self.versions: Collection = db.get_collection(VERSIONS, codec_options=_CODECS)

    async def start(self) -> None:
        with _reachable():
            await self.orders.create_index(
                "idempotencyKey", unique=True, sparse=True, name="idempotencyKey_unique"
            )
            await self.orders.create_index([("status", ASCENDING), ("createdAt", ASCENDING)])
            await self.orders.create_index("createdAt")

    async def stop(self) -> None:
        if self._owned:
            await self._client.close()

    async def ping(self) -> None:
        with _reachable():
            await self._client.admin.command("ping")

    async def create(self, order: PaymentOrder) -> tuple[PaymentOrder, bool]:
        order = storable(order)
        with _reachable():
            try:
                await self.orders.insert_one(_order_document(order, 0))
            except DuplicateKeyError:
                holder = None
                if order.idempotency_key is not None:
                    holder = await self.orders.find_one({"idempotencyKey": order.idempotency_key})
                if holder is None:
                    raise OrderIdTaken(order.id) from None
                newest, _ = await self._newest(holder)
                return replay(order, newest)
        return order, True

    async def get(self, order_id: str) -> PaymentOrder | None:
        with _reachable():
            document = await self.orders.find_one({"_id": order_id})
            return None if document is None else (await self._newest(document))[0]

    async def transition(
        self,
        order_id: str,
        expected: OrderStatus,
        target: OrderStatus,
        at: datetime,
        reason: str | None = None,
        attempts: int | None = None,
    ) -> PaymentOrder | None:
        check_transition(expected, target)
        return await self._change(
            order_id, lambda order: transitioned(order, expected, target, at, reason, attempts)
        )

    async def mark_command_published(self, order_id: str, at: datetime) -> None:
        await self._change(order_id, lambda order: published(order, at))

    async def list(
        self, status: OrderStatus | None, limit: int, after: str | None
    ) -> Sequence[PaymentOrder]:
        query: dict[str, Any] = {} if status is None else {"status": status.value}
        with _reachable():
            if after is not None:
                last = await self.orders.find_one({"_id": after}, projection={"createdAt": True})
                if last is None:
                    return []
                created = last["createdAt"]
                query["$or"] = [
                    {"createdAt": {"$lt": created}},
                    {"createdAt": created, "_id": {"$lt": after}},
                ]
            return await self._find(
                query, _NEWEST_FIRST, limit, lambda order: status is None or order.status is status
            )

    async def stale(
        self, statuses: Sequence[OrderStatus], updated_before: datetime, limit: int
    ) -> Sequence[PaymentOrder]:
        before = store_time(updated_before)
        query = {
            "status": {"$in": [status.value for status in statuses]},
            "updatedAt": {"$lt": before},
        }
        with _reachable():
            return await self._find(
                query,
                _OLDEST_UPDATE_FIRST,
                limit,
                lambda order: order.status in statuses and order.updated_at < before,
            )

    async def _change(self, order_id: str, change: Change) -> PaymentOrder | None:
        """Apply ``change`` to the newest version as the next one; None when there is no
        such order or ``change`` has nothing to do. Each retry follows a change by someone
        else, and an order changes only a few times, so the loop ends."""
        with _reachable():
            while (document := await self.orders.find_one({"_id": order_id})) is not None:
                order, version = await self._newest(document, repair=False)
                changed = change(order)
                if changed is None:
                    return None
                try:
                    await self.versions.insert_one(_version_document(changed, version + 1))
                except DuplicateKeyError:
                    continue
                await self.orders.replace_one(
                    {"_id": order_id}, _order_document(changed, version + 1)
                )
                return changed
        return None

    async def _newest(self, document: Document, *, repair: bool = True) -> Versioned:
        """The order's newest version, from its ``orders`` document: the versions after it
        are probed by ``_id``; with ``repair``, a document found behind is brought up to date."""
        order_id, known = document["_id"], document["version"]
        version = known
        while later := await self.versions.find_one({"_id": _version_id(order_id, version + 1)}):
            document, version = later, version + 1
        order = _order(document)
        if repair and version > known:
            await self.orders.replace_one({"_id": order_id}, _order_document(order, version))
        return order, version

    async def _find(
        self,
        query: dict[str, Any],
        sort: Sequence[tuple[str, int]],
        limit: int,
        still_matches: Callable[[PaymentOrder], bool],
    ) -> Sequence[PaymentOrder]:
        """The query's orders, each at its newest version; one whose ``orders`` document
        was behind and no longer matches is left out (so a page may come out short while
        writes to its orders are in flight)."""
        cursor = self.orders.find(query, sort=sort, limit=page_size(limit))
        found = await asyncio.gather(*[self._newest(document) async for document in cursor])
        return [order for order, _ in found if still_matches(order)]
