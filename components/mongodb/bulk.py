"""An unordered ``insert_many`` that says which documents a unique key refused: the
one bulk write MongoDB and FerretDB both make cheap (FerretDB inserts a hundred
documents in one call for the cost of ten single ones, and never batches updates)."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.errors import BulkWriteError

from components.mongodb.client_pool import Collection, Document

DUPLICATE_KEY = 11000  # the server's error code for a refused unique key


async def insert_unordered(collection: Collection, documents: Sequence[Document]) -> dict[int, str]:
    """Insert every document it can; the refused ones, by index, with the server's
    message. Any other error raises, as pymongo raised it."""
    if not documents:
        return {}
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as error:
        faults = error.details["writeErrors"]
        if any(fault["code"] != DUPLICATE_KEY for fault in faults):
            raise
        return {fault["index"]: fault["errmsg"] for fault in faults}
    return {}
