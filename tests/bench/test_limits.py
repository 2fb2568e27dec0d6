"""The benchmark's raw store limit, against the real MongoDB-wire server."""

from __future__ import annotations

import pytest
from pymongo import AsyncMongoClient

from bench.limits import store_rate

pytestmark = pytest.mark.mongo


async def test_the_store_limit_leaves_no_database_behind(
    mongo_uri: str, mongo_client: AsyncMongoClient[dict[str, object]]
) -> None:
    before = set(await mongo_client.list_database_names())

    rate = await store_rate(mongo_uri, orders=5, concurrency=2)

    assert rate > 0
    assert set(await mongo_client.list_database_names()) == before
