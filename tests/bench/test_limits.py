"""The benchmark's raw store limit, against the real MongoDB-wire server."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from bench.limits import StoreLimit

pytestmark = pytest.mark.mongo


async def test_the_store_limit_bursts_into_one_database_and_leaves_none_behind(
    mongo_uri: str, mongo_client: AsyncMongoClient[dict[str, object]]
) -> None:
    before = set(await mongo_client.list_database_names())

    async with StoreLimit(mongo_uri) as limit:
        rates = [
            await limit.rate(orders=3, concurrency=2),
            await limit.rate(orders=2, concurrency=1),
        ]
        orders = await limit.ingestion.revisions.count_documents({"version": 0})

    assert all(rate > 0 for rate in rates)
    assert orders == 5  # the second burst wrote beside the first: the database grows
    assert set(await mongo_client.list_database_names()) == before
