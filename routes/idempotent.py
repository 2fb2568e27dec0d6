"""The in-memory idempotent repository: for tests and single-process embedded runs.

Its durable twin, backed by a MongoDB unique index, is
``components.mongodb.idempotent.MongoIdempotentRepository``.
"""

from __future__ import annotations

from collections import OrderedDict


class MemoryIdempotentRepository:
    """Remembers up to ``capacity`` keys, forgetting the oldest first."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    async def add(self, key: str) -> bool:
        # No await between the check and the insert: atomic on the event loop.
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True

    async def contains(self, key: str) -> bool:
        return key in self._keys

    async def remove(self, key: str) -> None:
        self._keys.pop(key, None)

    async def confirm(self, key: str) -> None:
        return None
