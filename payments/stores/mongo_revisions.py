"""How the MongoDB store writes an order: a log of revisions in one collection, each
an insert under a unique ``_id`` (the one write FerretDB makes atomic), merged in
version order when the order is read.

- revision 0 (``_id`` ``<id>#0``) is the order as created, whole;
- revision n (``<id>#<n>``) is what the n-th write changed: the status, the time, the
  history entries it adds and the fields it sets;
- ``<id>#pay`` is the first claim of its payment; ``<id>#due`` the day it is due on,
  while it is scheduled; ``<id>#event`` marks its terminal
  event published, ``<id>#claim<n>`` the n-th take-over of an event a dead worker left
  unpublished.

Every document of an order carries ``orderId``, so one indexed find reads them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from components.mongodb.client_pool import Document
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Move
from payments.domain.transitions import store_time
from payments.stores.documents import from_document, scoped_key, to_document
from payments.stores.mongo_summary import LISTED

REVISIONS = "order_revisions"
ORDER = "orderId"
SCOPED_KEY = "clientIdempotencyKey"
OWED = "owed"  # the kind of a document of orders that owe their commands
# ``<id>#due``, the kind of a note of an order due on a day (``OrderStore.schedule``),
# and the field of that day: only these notes have it.
DUE, DAY = "due", "dueDay"
PUBLISHED, CLAIMED = "eventPublishedAt", "eventClaimedAt"
# What a later revision may set, beside the history entries it adds.
_CHANGED = ("status", "updatedAt", "attempts", "failureReason", "gatewayReference")


def first_revision(order: PaymentOrder, listed: int) -> Document:
    """Revision 0: the order as created, whole."""
    document = to_document(order, "python") | {LISTED: listed}
    order_id = document.pop("id")
    key = scoped_key(order)
    if key is not None:
        document[SCOPED_KEY] = key
    return {"_id": f"{order_id}#0", ORDER: order_id, **document}


def revision_of(move: Move, listed: int) -> Document:
    """The revision ``move`` writes: what it changes, under its version's ``_id``."""
    at, version, last = store_time(move.at), move.order.version + 1, move.changes[-1]
    revision: Document = {
        "_id": f"{move.order_id}#{version}",
        ORDER: move.order_id,
        LISTED: listed,
        "version": version,
        "status": last.target.value,
        "updatedAt": at,
        "history": [
            {"status": change.target.value, "at": at}
            | ({} if change.reason is None else {"reason": change.reason})
            for change in move.changes
        ],
    }
    if move.attempts is not None:
        revision["attempts"] = move.attempts
    if last.target is OrderStatus.FAILED and last.reason is not None:
        revision["failureReason"] = last.reason
    if move.gateway_reference is not None:
        revision["gatewayReference"] = move.gateway_reference
    return revision


def merged(documents: Sequence[Document]) -> PaymentOrder | None:
    """The order its revisions and marks make, newest last; None without revision 0."""
    first = next((document for document in documents if document.get("version") == 0), None)
    if first is None:
        return None
    fields = {key: value for key, value in first.items() if key not in ("_id", ORDER, LISTED)}
    fields["id"], history = first[ORDER], list(first["history"])
    claims: list[datetime] = []
    for document in sorted(documents, key=lambda document: document.get("version", -1)):
        if document.get("version", 0) > 0:
            fields.update({key: document[key] for key in _CHANGED if key in document})
            fields["version"] = document["version"]
            history += document["history"]
        elif PUBLISHED in document:
            fields[PUBLISHED] = document[PUBLISHED]
        elif CLAIMED in document:
            claims.append(document[CLAIMED])
    fields["history"] = history
    if claims:
        fields[CLAIMED] = max(claims)
    return from_document(fields)
