"""The order store on MongoDB or FerretDB, built on the one write both make atomic: an
insert under a unique index.

FerretDB 1.24 runs ``update`` and ``findAndModify`` as a read and then a separate
write by ``_id``: a filter on the status is no compare-and-set there (concurrent
transitions both "win") and concurrent updates overwrite each other. So each change of
an order inserts its next version (``order_versions``, ``_id`` = ``"<id>#<n>"``, the
whole new state): of the writers that read version n, one inserts n + 1 and the others
retry from it. The ``orders`` document (``_id`` = order id) holds the newest version
known, for queries: ``create`` inserts it, each transition replaces it afterwards (an
event's outbox mark or claim changes nothing a query reads, so it is a version only:
reads probe past it, and bring the document up to date when they find it). A unique
sparse index on ``clientIdempotencyKey`` (client id and key in one field) refuses a
second order with one client's key: one field, because a sparse compound index still
indexes a document that has any of its fields. FerretDB ignores ``sparse`` but leaves
absent values out anyway, and lacks ``partialFilterExpression``.
Reads probe for a later version by ``_id``, so a document left behind by a crash or a
race loses nothing and is repaired when found. Each write of an ``orders`` document is
conditional on its version being older, so one that reaches the server late does not
roll it back (atomic on MongoDB; FerretDB narrows the race to its own read and write).
An order that owes its execution command has an ``owed_commands`` document
(``_id`` = order id), inserted before the EXECUTING version and deleted once the
command is published: the debt never becomes a version racing the worker's. Money goes
through the Decimal codec of ``components.mongodb.codecs``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError

from components.mongodb.client_pool import Collection, Document
from components.mongodb.codecs import DECIMAL_TYPES
from payments.model import OrderStatus, PaymentOrder, check_transition
from payments.store import OrderIdTaken, Step, StoreUnavailable
from payments.stores.common import (
    Change,
    checked,
    event_claimed,
    event_published,
    from_document,
    owes_command,
    page_size,
    replay,
    scoped_key,
    stepped,
    storable,
    store_time,
    to_document,
    transitioned,
)

ORDERS, VERSIONS, OWED = "orders", "order_versions", "owed_commands"
SCOPED_KEY = "clientIdempotencyKey"
# The index of keys unique across clients, before keys were scoped: dropped at start.
_UNSCOPED_KEY_INDEX = "idempotencyKey_unique"
_CODECS: CodecOptions[Document] = CodecOptions(
    tz_aware=True, type_registry=DECIMAL_TYPES, uuid_representation=UuidRepresentation.STANDARD
)
_NEWEST_FIRST = [("createdAt", DESCENDING), ("_id", DESCENDING)]
_OLDEST_UPDATE_FIRST = [("updatedAt", ASCENDING), ("_id", ASCENDING)]

Versioned = tuple[PaymentOrder, int]
# A version just written: the order, its number and its stored fields (``to_document``),
# so the ``orders`` document is made from the fields serialised once.
Written = tuple[PaymentOrder, int, Document]
_DUPLICATE_KEY = 11000  # the server's error code for a refused unique key
# How many orders a store remembers the newest version of that it has seen: about
# those in flight. Each full pass of the garbage collector walks them all (86 ms for
# 10,000, pausing every request), and a forgotten one costs a read, not a fault.
KNOWN_ORDERS = 2_000


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


def _order_document(order: PaymentOrder, fields: Document, version: int) -> Document:
    """The ``orders`` document of ``order``, from its stored ``fields`` (``to_document``)."""
    document = dict(fields)
    key = scoped_key(order)
    if key is not None:
        document[SCOPED_KEY] = key
    return {"_id": document.pop("id"), **document, "version": version}


def _owned_by(client_id: str | None) -> Document:
    """The filter of one client's orders (None: anyone's)."""
    return {} if client_id is None else {"clientId": client_id}


def _version_document(fields: Document, version: int) -> Document:
    return {"_id": _version_id(fields["id"], version), **fields}


def _oldest_update(order: PaymentOrder) -> tuple[datetime, str]:
    return order.updated_at, order.id


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
        connect_timeout_ms: int = 5000,
    ) -> None:
        self._owned = isinstance(uri_or_client, str)
        self._client: AsyncMongoClient[Document] = (
            AsyncMongoClient(
                uri_or_client,
                serverSelectionTimeoutMS=server_selection_timeout_ms,
                socketTimeoutMS=socket_timeout_ms,
                connectTimeoutMS=connect_timeout_ms,
            )
            if isinstance(uri_or_client, str)
            else uri_or_client
        )
        db = self._client[database]
        self.orders: Collection = db.get_collection(ORDERS, codec_options=_CODECS)
        self.versions: Collection = db.get_collection(VERSIONS, codec_options=_CODECS)
        self.owed: Collection = db.get_collection(OWED, codec_options=_CODECS)
        # The newest version of each order this store has seen, oldest seen first: a
        # change starts from it without reading. It may be stale (another process
        # changed the order): then the version insert is refused and the change probes.
        self._known: OrderedDict[str, Versioned] = OrderedDict()

    async def start(self) -> None:
        with _reachable():
            await self.orders.create_index(
                SCOPED_KEY, unique=True, sparse=True, name=f"{SCOPED_KEY}_unique"
            )
            if _UNSCOPED_KEY_INDEX in await self.orders.index_information():
                await self.orders.drop_index(_UNSCOPED_KEY_INDEX)
            await self.orders.create_index([("status", ASCENDING), ("createdAt", ASCENDING)])
            await self.orders.create_index("createdAt")
            await self.orders.create_index([("clientId", ASCENDING), ("createdAt", ASCENDING)])
            if OWED not in await self.orders.database.list_collection_names():
                await self._owe_unpublished_commands()
            await self.owed.create_index([("since", ASCENDING), ("_id", ASCENDING)])

    async def _owe_unpublished_commands(self) -> None:
        """Record the debt of each EXECUTING order a database from before
        ``owed_commands`` holds without its command marked published."""
        legacy = {"status": OrderStatus.EXECUTING.value, "commandPublishedAt": {"$exists": False}}
        async for document in self.orders.find(legacy, projection={"updatedAt": True}):
            await self._owe(document["_id"], document["updatedAt"])

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
                await self.orders.insert_one(
                    _order_document(order, to_document(order, "python"), 0)
                )
                self._remember(order, 0)
            except DuplicateKeyError:
                key, holder = scoped_key(order), None
                if key is not None:
                    holder = await self.orders.find_one({SCOPED_KEY: key})
                if holder is None:
                    raise OrderIdTaken(order.id) from None
                return replay(order, await self._newest_of(holder))
        return order, True

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        with _reachable():
            document = await self.orders.find_one({"_id": order_id, **_owned_by(client_id)})
            return None if document is None else await self._newest_of(document)

    async def peek(self, order_id: str) -> PaymentOrder | None:
        with _reachable():
            indexed = await self._indexed(order_id)
        return None if indexed is None else indexed[0]

    async def transition(
        self,
        order_id: str,
        expected: OrderStatus,
        target: OrderStatus,
        at: datetime,
        reason: str | None = None,
        attempts: int | None = None,
        gateway_reference: str | None = None,
    ) -> PaymentOrder | None:
        check_transition(expected, target)
        return await self._change(
            order_id,
            lambda order: transitioned(
                order, expected, target, at, reason, attempts, gateway_reference
            ),
        )

    async def transition_through(
        self, order_id: str, steps: Sequence[Step], at: datetime
    ) -> Sequence[PaymentOrder]:
        """Each step its own version; the ``orders`` document once, after the last step
        done (a crash before leaves it behind, which reads and the sweep repair)."""
        written = await self._write(order_id, [stepped(step, at) for step in checked(steps)])
        if written:
            await self._index(*written[-1])
        return [order for order, _, _ in written]

    async def mark_command_published(self, order_id: str) -> None:
        with _reachable():
            await self.owed.delete_one({"_id": order_id})

    async def mark_event_published(self, order_id: str, at: datetime) -> None:
        await self._write(order_id, [lambda order: event_published(order, at)])

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        claimed = await self._write(order_id, [lambda order: event_claimed(order, at, lease)])
        return bool(claimed)

    async def list(
        self,
        status: OrderStatus | None,
        limit: int,
        after: str | None,
        *,
        client_id: str | None = None,
    ) -> Sequence[PaymentOrder]:
        owner = _owned_by(client_id)
        query: dict[str, Any] = {**owner} if status is None else {**owner, "status": status.value}
        with _reachable():
            if after is not None:
                last = await self.orders.find_one(
                    {"_id": after, **owner}, projection={"createdAt": True}
                )
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

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        """From the ``orders`` documents: one a version behind counts in its old status."""
        pipeline = [{"$group": {"_id": "$status", "count": {"$sum": 1}}}]
        with _reachable():
            cursor = await self.orders.aggregate(pipeline)
            return {OrderStatus(group["_id"]): group["count"] async for group in cursor}

    async def stale(
        self,
        statuses: Sequence[OrderStatus],
        updated_before: datetime,
        limit: int,
        *,
        unpublished: bool = False,
    ) -> Sequence[PaymentOrder]:
        """One query per status, merged oldest first: FerretDB hands an equality down to
        its backend, but fetches and decodes every document for an ``$in`` (12 ms
        against 480 ms over 3,000 orders). With ``unpublished``, EXECUTING orders come
        from ``owed_commands`` instead."""
        before = store_time(updated_before)
        owing = unpublished and OrderStatus.EXECUTING in statuses
        with _reachable():
            found = [
                order
                for status in statuses
                if not (owing and status is OrderStatus.EXECUTING)
                for order in await self._stale_in(status, before, limit)
            ]
            if owing:
                found += await self._owing(before, limit)
        return sorted(found, key=_oldest_update)[:limit]

    async def _stale_in(
        self, status: OrderStatus, before: datetime, limit: int
    ) -> Sequence[PaymentOrder]:
        return await self._find(
            {"status": status.value, "updatedAt": {"$lt": before}},
            _OLDEST_UPDATE_FIRST,
            limit,
            lambda order: order.status is status and order.updated_at < before,
        )

    async def _owing(self, before: datetime, limit: int) -> Sequence[PaymentOrder]:
        """EXECUTING orders last updated before ``before`` that owe their command. A debt
        whose order ended (or never existed) is settled here, one whose order is not
        EXECUTING yet stays: its move to EXECUTING was written after it, or will be."""
        cursor = self.owed.find(
            {"since": {"$lt": before}},
            sort=[("since", ASCENDING), ("_id", ASCENDING)],
            limit=page_size(limit),
        )
        debtors = await asyncio.gather(
            *[self._newest_by_id(entry["_id"]) async for entry in cursor]
        )
        owing: list[PaymentOrder] = []
        for order_id, order in debtors:
            if order is None or order.status.terminal:
                await self.mark_command_published(order_id)
            elif order.status is OrderStatus.EXECUTING and order.updated_at < before:
                owing.append(order)
        return owing

    async def _owe(self, order_id: str, since: datetime) -> None:
        with contextlib.suppress(DuplicateKeyError):
            await self.owed.insert_one({"_id": order_id, "since": since})

    async def _change(self, order_id: str, change: Change) -> PaymentOrder | None:
        """Apply ``change`` as the order's next version and bring its ``orders`` document
        up to date; None when there is no such order or nothing to do."""
        written = await self._write(order_id, [change])
        if not written:
            return None
        await self._index(*written[-1])
        return written[-1][0]

    async def _write(self, order_id: str, changes: Sequence[Change]) -> Sequence[Written]:
        """Insert ``changes``, each of the version before, as the order's next versions,
        up to the first with nothing to do; none when there is no such order.

        They start from the version this store last saw, or else the ``orders``
        document, unprobed, and go in as one ordered insert: each version goes in only
        if it is the newest. From the first refused, or a first change with nothing to
        do (which a stale start could cause), it probes for the newest and tries the
        rest again. Each retry follows a change by someone else, and an order changes
        only a few times, so the loop ends."""
        with _reachable():
            known = self._known.get(order_id) or await self._indexed(order_id)
            if known is None:
                return []
            (order, version), probed = known, False
            written: list[Written] = []
            while True:
                planned = await self._plan(order, version, changes[len(written) :])
                inserted = await self._claim(planned)
                written += planned[:inserted]
                if inserted:
                    order, version, _ = planned[inserted - 1]
                    self._remember(order, version)
                if len(written) == len(changes) or (
                    inserted == len(planned) and (inserted or probed)
                ):
                    return written
                order, version = await self._newest(order, version)
                probed = True

    async def _plan(
        self, order: PaymentOrder, version: int, changes: Sequence[Change]
    ) -> Sequence[Written]:
        """The versions ``changes`` make of ``order`` at ``version``, up to the first with
        nothing to do. One that makes the order owe its command records the debt first:
        a crash between leaves one debt too many, which the sweep settles."""
        planned: list[Written] = []
        for change in changes:
            changed = change(order)
            if changed is None:
                break
            if owes_command(order, changed):
                await self._owe(order.id, changed.updated_at)
            order, version = changed, version + 1
            planned.append((order, version, to_document(order, "python")))
        return planned

    async def _index(self, order: PaymentOrder, version: int, fields: Document) -> None:
        """The ``orders`` document, which queries read, at ``version``."""
        with _reachable():
            await self.orders.replace_one(
                {"_id": order.id, "version": {"$lt": version}},
                _order_document(order, fields, version),
            )

    async def _indexed(self, order_id: str) -> Versioned | None:
        """The order and version its ``orders`` document holds, unprobed (perhaps a
        version behind); remembered as seen."""
        document = await self.orders.find_one({"_id": order_id})
        if document is None:
            return None
        indexed = _order(document), int(document["version"])
        self._remember(*indexed)
        return indexed

    def _remember(self, order: PaymentOrder, version: int) -> None:
        known = self._known.get(order.id)
        if known is None or known[1] < version:
            self._known[order.id] = (order, version)
            self._known.move_to_end(order.id)
            if len(self._known) > KNOWN_ORDERS:
                self._known.popitem(last=False)

    async def _claim(self, planned: Sequence[Written]) -> int:
        """Insert the planned versions in order: how many went in before one that someone
        else inserted first."""
        if not planned:
            return 0
        documents = [_version_document(fields, version) for _, version, fields in planned]
        try:
            await self.versions.insert_many(documents, ordered=True)
        except BulkWriteError as error:
            if any(fault["code"] != _DUPLICATE_KEY for fault in error.details["writeErrors"]):
                raise
            return int(error.details["nInserted"])
        return len(documents)

    async def _newest(self, order: PaymentOrder, version: int) -> Versioned:
        """The order's newest version from a known one, probing the next ``_id`` until it
        is missing; an ``orders`` document found behind is brought up to date."""
        known = version
        while later := await self.versions.find_one({"_id": _version_id(order.id, version + 1)}):
            order, version = _order(later), version + 1
        if version > known:
            await self._index(order, version, to_document(order, "python"))
        self._remember(order, version)
        return order, version

    async def _newest_by_id(self, order_id: str) -> tuple[str, PaymentOrder | None]:
        indexed = await self._indexed(order_id)
        return order_id, None if indexed is None else (await self._newest(*indexed))[0]

    async def _newest_of(self, document: Document) -> PaymentOrder:
        order, _ = await self._newest(_order(document), document["version"])
        return order

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
        found = await asyncio.gather(*[self._newest_of(document) async for document in cursor])
        return [order for order in found if still_matches(order)]
