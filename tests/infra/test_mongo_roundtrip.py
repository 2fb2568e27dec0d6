"""The real MongoDB-wire server: the single-document guarantees the store relies on."""

from __future__ import annotations

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

pytestmark = pytest.mark.mongo


async def test_compare_and_set_update_matches_only_the_current_state(
    mongo_db: AsyncDatabase[dict[str, object]],
) -> None:
    orders = mongo_db["orders"]
    await orders.insert_one({"_id": "o-1", "status": "PENDING", "version": 0})

    first = await orders.update_one(
        {"_id": "o-1", "status": "PENDING"},
        {"$set": {"status": "VALIDATED"}, "$inc": {"version": 1}},
    )
    stale = await orders.update_one(
        {"_id": "o-1", "status": "PENDING"}, {"$set": {"status": "FAILED"}, "$inc": {"version": 1}}
    )

    assert (first.matched_count, stale.matched_count) == (1, 0)
    assert await orders.find_one({"_id": "o-1"}) == {
        "_id": "o-1",
        "status": "VALIDATED",
        "version": 1,
    }


async def test_unique_index_rejects_a_duplicate(
    mongo_db: AsyncDatabase[dict[str, object]],
) -> None:
    keys = mongo_db["idempotency_keys"]
    await keys.create_index("key", unique=True)
    await keys.insert_one({"key": "k-1", "order": "o-1"})

    with pytest.raises(DuplicateKeyError):
        await keys.insert_one({"key": "k-1", "order": "o-2"})
    assert await keys.count_documents({}) == 1
