"""Brings a database of the layout before order revisions into ``order_revisions``,
once, when a store starts on it.

That layout kept each order's newest state in ``orders`` (``_id`` the order id),
its versions in ``order_versions`` (``<id>#<n>``, each a whole state, the newest
perhaps ahead of its ``orders`` document) and the debts of unpublished commands in
``owed_commands``. Each order becomes revision 0 of its own holding its whole newest
state, with its event mark if its event was published; the orders before EXECUTING,
and those EXECUTING whose command was never marked published, owe their commands
again, so the recovery sweep finishes them. The counts and lists of the summary get
the migrated orders from slices stamped with the seconds 1, 2, 3 …, older than any
write: lists show them after every order written since, oldest batch lowest. Every
document has an id of its own, so stores starting at once on one database write the
same ones and all but the first insert of each are refused; the old collections are
left as they were. Run before anything else writes to ``order_revisions``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from pymongo.asynchronous.database import AsyncDatabase

from components.mongodb.bulk import insert_unordered
from components.mongodb.client_pool import Collection, Document
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Move, OrderRef, StatusChange
from payments.stores.documents import from_document
from payments.stores.mongo_summary import KIND, SliceBuilder

logger = logging.getLogger(__name__)

DONE = "migration:order-revisions"
BATCH = 500
_BEFORE_EXECUTING = (OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.ACCEPTED)

# Revision 0 of an order, listed in the given second (``MongoOrderStore``'s own).
FirstRevision = Callable[[PaymentOrder, int], Document]


async def migrate(
    database: AsyncDatabase[Document],
    revisions: Collection,
    first_revision: FirstRevision,
) -> int:
    """The orders moved (0 when there is nothing to move, or it was done before)."""
    if await revisions.find_one({"_id": DONE}) is not None:
        return 0
    names = set(await database.list_collection_names())
    moved = 0
    if "orders" in names:
        owed = {document["_id"] async for document in database["owed_commands"].find({})}
        versions = database["order_versions"]
        oldest_first = database["orders"].find({}, sort=[("createdAt", 1), ("_id", 1)])
        batch: list[PaymentOrder] = []
        async for document in oldest_first:
            batch.append(await _newest(document, versions))
            if len(batch) == BATCH:
                await _move(revisions, batch, owed, moved // BATCH + 1, first_revision)
                moved += len(batch)
                batch = []
        if batch:
            await _move(revisions, batch, owed, moved // BATCH + 1, first_revision)
            moved += len(batch)
    await insert_unordered(revisions, [{"_id": DONE, KIND: "migration", "orders": moved}])
    if moved:
        logger.warning(
            "moved %d payment order(s) of the earlier layout into order_revisions", moved
        )
    return moved


async def _newest(document: Document, versions: Collection) -> PaymentOrder:
    """The order's newest state: its ``orders`` document, or a later version of it."""
    version = int(document.get("version", 0))
    newest = {"id": document["_id"], **document}
    while later := await versions.find_one({"_id": f"{document['_id']}#{version + 1}"}):
        newest, version = later, version + 1
    fields = {key: value for key, value in newest.items() if key not in ("_id", "version")}
    fields.pop("clientIdempotencyKey", None)
    return from_document(fields).model_copy(update={"version": 0})


async def _move(
    revisions: Collection,
    orders: Sequence[PaymentOrder],
    owed: set[str],
    second: int,
    first_revision: FirstRevision,
) -> None:
    noted = SliceBuilder(second)
    documents: list[Document] = []
    owing = []
    for order in orders:
        noted.created(order)
        if order.status is not OrderStatus.PENDING:  # counted as it is now, listed by it
            ref = OrderRef(order.id, 0, order.updated_at, order.client_id, order.created_at)
            change = StatusChange(OrderStatus.PENDING, order.status)
            noted.moved(Move(ref, [change], order.updated_at))
        documents.append(first_revision(order, second))
        if order.event_published_at is not None:
            mark = {"orderId": order.id, "eventPublishedAt": order.event_published_at}
            documents.append({"_id": f"{order.id}#event", **mark})
        executing_unpublished = order.status is OrderStatus.EXECUTING and order.id in owed
        if order.status in _BEFORE_EXECUTING or executing_unpublished:
            owing.append(order)
    if owing:
        since = min(order.updated_at for order in owing)
        ids = [order.id for order in owing]
        debt = {KIND: "owed", "orders": ids, "since": since}
        documents.append({"_id": f"owed:migration:{second}", **debt})
    slice_ = noted.document() | {"_id": f"slice:migration:{second}"}
    await insert_unordered(revisions, [*documents, slice_])
