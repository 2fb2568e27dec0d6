"""What each ``operation=`` does with the exchange; its result replaces the body.

- ``insert``: body = document; result = its ``_id``. An ``_id`` (or unique key) that
  exists raises pymongo's ``DuplicateKeyError``, for the route to handle. As the ``to``
  of a batch step, the group is one unordered ``insert_many`` (FerretDB inserts a
  hundred documents in one call for the cost of ten single ones), and a document
  refused fails its own exchange alone, with a ``DuplicateKeyError``.
- ``insertMany``: body = a list of documents; result = their ``_id`` values, in order.
  Unordered: a refused one raises ``BulkWriteError`` once the others are in.
- ``findById``: body = an ``_id``; result = the document, or None.
- ``findOneByQuery``: body = a filter; result = the first matching document, or None.
- ``update`` (compare-and-set): body = ``{"filter": {...}, "update": {...}}``. The
  filter names the document *and the state the change expects* (e.g. ``{"_id": id,
  "status": "PENDING"}``); MongoDB applies it atomically, so a stale update matches
  nothing. Result = the document after the update, or None; header
  ``mongodb.matchedCount`` = 1 or 0. FerretDB 1.24 runs it as a read and a separate
  write: there, two concurrent updates can both match. For races that must have one
  winner on FerretDB, insert under a unique key instead (as ``MongoOrderStore`` does).
- ``upsert``: same body; updates the match or inserts one built from the filter and
  the update. Result = the document after. Not a compare-and-set: a filter on state
  that misses an existing ``_id`` tries an insert and raises ``DuplicateKeyError``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypedDict

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from components.mongodb.bulk import DUPLICATE_KEY, insert_unordered
from components.mongodb.client_pool import Collection
from components.mongodb.headers import MATCHED_COUNT
from components.mongodb.options import OperationName
from endpoints.exchange import Exchange

Operation = Callable[[Collection, Exchange], Awaitable[None]]
# What a group of exchanges does at once, where an operation can (see ``insert``).
GroupOperation = Callable[[Collection, Sequence[Exchange]], Awaitable[None]]


class UpdateBody(TypedDict):
    """The body ``update`` and ``upsert`` expect."""

    filter: Mapping[str, Any]
    update: Mapping[str, Any]


def _mapping(body: Any, operation: str, expected: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise TypeError(f"mongodb {operation}: the body must be {expected}, not {body!r}")
    return body


def _update_body(body: Any, operation: str) -> UpdateBody:
    expected = 'a dict {"filter": {...}, "update": {...}}'
    request = _mapping(body, operation, expected)
    if set(request) != {"filter", "update"}:
        raise TypeError(f"mongodb {operation}: the body must be {expected}, not {body!r}")
    return {
        "filter": _mapping(request["filter"], operation, expected),
        "update": _mapping(request["update"], operation, expected),
    }


async def insert(collection: Collection, exchange: Exchange) -> None:
    document = _mapping(exchange.body, "insert", "a document (dict)")
    result = await collection.insert_one(dict(document))  # a copy: pymongo adds _id in place
    exchange.body = result.inserted_id


async def insert_each(collection: Collection, exchanges: Sequence[Exchange]) -> None:
    """``insert`` for a group of exchanges, in one call; each gets its own outcome."""
    documents = [dict(_mapping(e.body, "insert", "a document (dict)")) for e in exchanges]
    refused = await insert_unordered(collection, documents)
    for index, (exchange, document) in enumerate(zip(exchanges, documents, strict=True)):
        if index in refused:
            exchange.exception = DuplicateKeyError(refused[index], DUPLICATE_KEY)
        else:
            exchange.body = document["_id"]


async def insert_many(collection: Collection, exchange: Exchange) -> None:
    if not isinstance(exchange.body, list):
        raise TypeError(
            f"mongodb insertMany: the body must be a list of documents, not {exchange.body!r}"
        )
    documents = [
        dict(_mapping(body, "insertMany", "a list of documents")) for body in exchange.body
    ]
    result = await collection.insert_many(documents, ordered=False)
    exchange.body = list(result.inserted_ids)


async def find_by_id(collection: Collection, exchange: Exchange) -> None:
    exchange.body = await collection.find_one({"_id": exchange.body})


async def find_one_by_query(collection: Collection, exchange: Exchange) -> None:
    exchange.body = await collection.find_one(
        _mapping(exchange.body, "findOneByQuery", "a filter (dict)")
    )


async def update(collection: Collection, exchange: Exchange) -> None:
    request = _update_body(exchange.body, "update")
    document = await collection.find_one_and_update(
        request["filter"], request["update"], return_document=ReturnDocument.AFTER
    )
    exchange.headers[MATCHED_COUNT] = 0 if document is None else 1
    exchange.body = document


async def upsert(collection: Collection, exchange: Exchange) -> None:
    request = _update_body(exchange.body, "upsert")
    exchange.body = await collection.find_one_and_update(
        request["filter"], request["update"], upsert=True, return_document=ReturnDocument.AFTER
    )


GROUP_OPERATIONS: Mapping[OperationName, GroupOperation] = {"insert": insert_each}

OPERATIONS: Mapping[OperationName, Operation] = {
    "insert": insert,
    "insertMany": insert_many,
    "findById": find_by_id,
    "findOneByQuery": find_one_by_query,
    "update": update,
    "upsert": upsert,
}
