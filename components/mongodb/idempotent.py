"""A durable idempotent repository: one document per key, whose ``_id`` is the key.

``add`` is a single insert, so the server's unique ``_id`` decides which of several
concurrent callers is first; there is never a read-then-write. FerretDB v1 has no
TTL indexes, so old keys are purged on demand, through the ``createdAt`` index that
``start`` makes. It keeps the engine's ``IdempotentRepository`` protocol
(``routes.definition``); its in-memory twin is ``routes.idempotent``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from components.mongodb.client_pool import Collection
from endpoints.base import Service

CREATED_AT = "createdAt"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MongoIdempotentRepository(Service):
    def __init__(self, collection: Collection, clock: Callable[[], datetime] = _utcnow) -> None:
        self.collection = collection
        self._clock = clock

    async def start(self) -> None:
        await self.collection.create_index(CREATED_AT)

    async def add(self, key: str) -> bool:
        """True for the first caller with ``key``, False for every later one."""
        try:
            await self.collection.insert_one({"_id": key, CREATED_AT: self._clock()})
        except DuplicateKeyError:
            return False
        return True

    async def contains(self, key: str) -> bool:
        return await self.collection.find_one({"_id": key}, projection={"_id": True}) is not None

    async def remove(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})

    async def confirm(self, key: str) -> None:
        """Nothing to do: ``add`` already made the key durable."""

    async def purge_older_than(self, age: timedelta) -> int:
        """Forget keys added more than ``age`` ago; returns how many."""
        result = await self.collection.delete_many({CREATED_AT: {"$lt": self._clock() - age}})
        return result.deleted_count
