"""The order store on MongoDB or FerretDB, built on the one write both make atomic and
FerretDB makes cheap in bulk: an insert under a unique index.

FerretDB 1.24 runs ``update`` and ``findAndModify`` as a read and then a separate
write by ``_id`` (a filter on the status is no compare-and-set there), does not batch
updates, and stops answering when sent a bulk of them; ``insert_many`` of a hundred
documents costs it a tenth of a hundred ``insert_one``. So nothing here is ever
updated: every change of an order is a revision inserted into ``order_revisions``
(``mongo_revisions``). Of the writers that read revision n, one inserts n + 1 and the
others are refused: the compare-and-set. A batch of orders' revisions is one unordered
``insert_many``; a refused one fails that order alone.

The orders of one ``create_all`` owe their execution commands together: one
``owed:<batch>`` document, in the same insert as their first revisions, deleted once
each of them is settled. Listings and counts read summaries the same inserts keep
(``mongo_summary``), never every order. A unique sparse index on
``clientIdempotencyKey`` (client id and key in one field) refuses a second order with
one client's key (FerretDB ignores ``sparse`` but leaves absent values out anyway).
Money goes through the Decimal codec of ``components.mongodb.codecs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta

from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure

from components.mongodb.bulk import insert_unordered
from components.mongodb.client_pool import Collection, Document
from components.mongodb.codecs import DECIMAL_TYPES
from components.mongodb.connect_guard import close_client
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Created, Move, OrderIdTaken, StoreUnavailable, owes_message
from payments.domain.transitions import checked, claimable, store_time
from payments.stores.documents import (
    page_size,
    replay,
    scoped_key,
    storable,
    wall_clock,
)
from payments.stores.mongo_listing import Listing
from payments.stores.mongo_migration import migrate
from payments.stores.mongo_revisions import (
    CLAIMED,
    DAY,
    DUE,
    ORDER,
    OWED,
    PUBLISHED,
    REVISIONS,
    SCOPED_KEY,
    first_revision,
    merged,
    revision_of,
)
from payments.stores.mongo_summary import (
    KIND,
    SliceBuilder,
    Summary,
    second_of,
)

# How many orders ``due`` reads at once: what FerretDB answers well within a socket
# timeout, when a release page is large (100,000 orders due at once come 500 a page).
_READS_AT_ONCE = 50

_CODECS: CodecOptions[Document] = CodecOptions(
    tz_aware=True, type_registry=DECIMAL_TYPES, uuid_representation=UuidRepresentation.STANDARD
)


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    """pymongo's "cannot reach the server" errors (server selection timeout, lost
    connection, no primary) as StoreUnavailable, which the API answers with 503."""
    try:
        yield
    except ConnectionFailure as error:
        raise StoreUnavailable(f"MongoDB unreachable: {error}") from error


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
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        # The time the summary's slices and folds are stamped with.
        self.clock = clock
        self._owned = isinstance(uri_or_client, str)
        self._client: AsyncMongoClient[Document] = (
            AsyncMongoClient(
                uri_or_client,
                serverSelectionTimeoutMS=server_selection_timeout_ms,
                # Bounds each reply, so no operation hangs on a store that stopped answering.
                socketTimeoutMS=socket_timeout_ms,
                connectTimeoutMS=connect_timeout_ms,
            )
            if isinstance(uri_or_client, str)
            else uri_or_client
        )
        db = self._client.get_database(database, codec_options=_CODECS)
        self.revisions: Collection = db.get_collection(REVISIONS, codec_options=_CODECS)
        self.summary = Summary(self.revisions)
        self.listing = Listing(self.revisions, self.summary, self.get)
        # The orders of each owed document this store wrote or recovered that are not
        # settled yet: the document goes once the last of them is.
        self._owed: dict[str, set[str]] = {}
        self._owed_by: dict[str, set[str]] = {}
        # The days with due notes, read at the first ``due``; None until then.
        self._due_days: set[str] | None = None

    async def start(self) -> None:
        with _reachable():
            await self.revisions.create_index(ORDER)
            await self.revisions.create_index(
                SCOPED_KEY, unique=True, sparse=True, name=f"{SCOPED_KEY}_unique"
            )
            await self.revisions.create_index(KIND)
            await self.revisions.create_index(DAY, sparse=True)
            await migrate(self.revisions.database, self.revisions, first_revision)

    async def stop(self) -> None:
        if self._owned:
            await close_client(self._client)

    async def ping(self) -> None:
        with _reachable():
            await self._client.admin.command("ping")

    async def create_all(self, orders: Sequence[PaymentOrder]) -> Sequence[Created]:
        if not orders:
            return []
        orders = [storable(order) for order in orders]
        owed_id = f"{OWED}:{uuid.uuid4().hex}"
        owed: Document = {"_id": owed_id, KIND: OWED, "orders": [order.id for order in orders]}
        owed["since"] = min(order.created_at for order in orders)
        noted = self._slice()
        for order in orders:
            noted.created(order)
        firsts = [first_revision(order, noted.second) for order in orders]
        refused = await self._insert([*firsts, owed, noted.document()])
        results = [
            await self._replay(order) if index in refused else (order, True)
            for index, order in enumerate(orders)
        ]
        taken_back = self._slice()
        for index in refused:
            taken_back.not_created(orders[index])
        await self._note(taken_back)
        self._owe(owed_id, [order.id for order, created in _created(results) if created])
        return results

    def _slice(self) -> SliceBuilder:
        return SliceBuilder(second_of(self.clock()))

    async def _note(self, noted: SliceBuilder) -> None:
        """A slice of its own: what a refused write's slice counted, taken back out."""
        if noted:
            await self._insert([noted.document()])

    async def _replay(self, order: PaymentOrder) -> Created:
        key = scoped_key(order)
        with _reachable():
            holder = None if key is None else await self.revisions.find_one({SCOPED_KEY: key})
        first = None if holder is None else await self.get(holder[ORDER])
        if first is None:
            raise OrderIdTaken(order.id)
        return replay(order, first)

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        with _reachable():
            order = merged(await self.revisions.find({ORDER: order_id}).to_list())
        if order is None or (client_id is not None and order.client_id != client_id):
            return None
        return order

    async def move_all(self, moves: Sequence[Move]) -> Sequence[bool]:
        noted = self._slice()
        for move in checked(moves):
            noted.moved(move)
        revisions = [revision_of(move, noted.second) for move in moves]
        refused = await self._insert([*revisions, noted.document()])
        taken_back = self._slice()
        for index in refused:
            taken_back.moved(moves[index], -1)
        await self._note(taken_back)
        return [index not in refused for index in range(len(moves))]

    async def claim_payments(self, order_ids: Sequence[str]) -> Sequence[bool]:
        refused = await self._insert([{"_id": f"{order_id}#pay"} for order_id in order_ids])
        return [index not in refused for index in range(len(order_ids))]

    async def settle(self, order_ids: Sequence[str]) -> None:
        done = []
        for order_id in order_ids:
            for owed_id in self._owed_by.pop(order_id, ()):
                remaining = self._owed.get(owed_id)
                if remaining is None:  # gone with its other orders
                    continue
                remaining.discard(order_id)
                if not remaining:
                    del self._owed[owed_id]
                    done.append(owed_id)
        await self._delete(done)

    async def owe(self, order_ids: Sequence[str], at: datetime) -> None:
        """One owed document for the call, as ``create_all`` writes one for its batch."""
        if order_ids:
            owed_id = f"{OWED}:{uuid.uuid4().hex}"
            note = {"_id": owed_id, KIND: OWED, "orders": list(order_ids), "since": store_time(at)}
            await self._insert([note])
            self._owe(owed_id, order_ids)

    async def owing(self, before: datetime, limit: int) -> Sequence[PaymentOrder]:
        """From the owed documents older than ``before``, oldest first; one whose orders
        all ended (or never were) is deleted here."""
        before = store_time(before)
        with _reachable():
            owed = await self.revisions.find({KIND: OWED}).to_list()
        found: dict[str, PaymentOrder] = {}  # an order in two owed documents, once
        for document in sorted(owed, key=lambda document: document["since"]):
            if document["since"] >= before or len(found) >= page_size(limit):
                break
            orders = await asyncio.gather(*map(self.get, document["orders"]))
            live = [order for order in orders if order is not None and owes_message(order)]
            if not live:
                with _reachable():
                    await self.revisions.delete_one({"_id": document["_id"]})
                continue
            self._owe(document["_id"], [order.id for order in live])
            found.update((order.id, order) for order in live if order.updated_at < before)
        return sorted(found.values(), key=lambda order: (order.updated_at, order.id))[:limit]

    def _owe(self, owed_id: str, order_ids: Sequence[str]) -> None:
        if order_ids:
            self._owed[owed_id] = set(order_ids)
            for order_id in order_ids:
                self._owed_by.setdefault(order_id, set()).add(owed_id)

    async def schedule(self, due: Mapping[str, date]) -> None:
        if self._due_days is not None:
            self._due_days.update(day.isoformat() for day in due.values())
        # A note inserted again is refused: the first day stays.
        await self._insert(
            [
                {"_id": f"{order_id}#{DUE}", KIND: DUE, ORDER: order_id, DAY: day.isoformat()}
                for order_id, day in due.items()
            ]
        )

    async def due(self, day: date, limit: int) -> Sequence[PaymentOrder]:
        """Day by day, each read by equality (which FerretDB hands to PostgreSQL, where a
        range it would filter itself over the whole collection): today, and the earlier
        days this store knows of notes on (read once, then kept as it notes them). A
        day's notes come in no order: sorted, FerretDB would fetch every note of the
        day to sort them, for each page."""
        with _reachable():
            if self._due_days is None:
                self._due_days = set(await self.revisions.distinct(DAY, {KIND: DUE}))
        today = day.isoformat()
        notes: list[Document] = []
        for noted in sorted(d for d in {*self._due_days, today} if d <= today):
            with _reachable():
                found = (
                    await self.revisions.find({DAY: noted})
                    .limit(page_size(limit) - len(notes))
                    .to_list()
                )
            if not found:
                self._due_days.discard(noted)
            notes += found
            if len(notes) >= limit:
                break
        orders: list[PaymentOrder | None] = []
        for start in range(0, len(notes), _READS_AT_ONCE):  # a store answers these in time
            chunk = notes[start : start + _READS_AT_ONCE]
            orders += await asyncio.gather(*(self.get(note[ORDER]) for note in chunk))
        gone = [
            note["_id"]
            for note, order in zip(notes, orders, strict=True)
            if order is None or order.status.terminal
        ]
        await self._delete(gone)
        return [order for order in orders if order is not None and not order.status.terminal]

    async def unschedule(self, order_ids: Sequence[str]) -> None:
        await self._delete([f"{order_id}#{DUE}" for order_id in order_ids])

    async def _delete(self, ids: Sequence[str]) -> None:
        """By ``_id``, each its own delete, some at once: FerretDB hands ``_id`` equality
        to PostgreSQL, where an ``$in`` it would filter itself over the whole
        collection (its ``explain`` says ``filterPushdown: false``)."""
        for start in range(0, len(ids), _READS_AT_ONCE):
            chunk = ids[start : start + _READS_AT_ONCE]
            with _reachable():
                await asyncio.gather(*(self.revisions.delete_one({"_id": i}) for i in chunk))

    async def mark_events_published(self, order_ids: Sequence[str], at: datetime) -> None:
        at = store_time(at)
        await self._insert(
            [{"_id": f"{order_id}#event", ORDER: order_id, PUBLISHED: at} for order_id in order_ids]
        )

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        """The n-th claim inserts ``<id>#claim<n>``: of claimers that saw n - 1, one wins."""
        with _reachable():
            documents = await self.revisions.find({ORDER: order_id}).to_list()
        order = merged(documents)
        if order is None or not claimable(order, store_time(at), lease):
            return False
        claims = sum(CLAIMED in document for document in documents)
        claim = {"_id": f"{order_id}#claim{claims + 1}", ORDER: order_id, CLAIMED: store_time(at)}
        return not await self._insert([claim])

    async def list(
        self,
        status: OrderStatus | None,
        limit: int,
        after: str | None,
        *,
        client_id: str | None = None,
    ) -> Sequence[PaymentOrder]:
        with _reachable():
            return await self.listing.page(status, page_size(limit), after, client_id)

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        with _reachable():
            return await self.summary.counts()

    async def summarise(self) -> None:
        with _reachable():
            await self.summary.fold(self.clock())

    async def _insert(self, documents: Sequence[Document]) -> set[int]:
        """One unordered insert: the indexes of the documents a unique key refused."""
        with _reachable():
            return set(await insert_unordered(self.revisions, documents))


def _created(results: Sequence[Created]) -> Iterator[tuple[PaymentOrder, bool]]:
    for result in results:
        if isinstance(result, tuple):
            yield result
