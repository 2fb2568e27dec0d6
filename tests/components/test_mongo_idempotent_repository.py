"""The MongoDB idempotent repository on a real MongoDB-wire server, alone and in a route."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from components.mongodb import MongoComponent, MongoIdempotentRepository
from endpoints import headers
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.expressions import header

pytestmark = pytest.mark.mongo

Database = AsyncDatabase[dict[str, object]]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def repository(
    component: MongoComponent, mongo_db: Database, clock: Clock
) -> MongoIdempotentRepository:
    repository = MongoIdempotentRepository(component.collection(mongo_db.name, "seen"), clock)
    await repository.start()
    return repository


async def test_add_is_true_only_for_a_new_key(repository: MongoIdempotentRepository) -> None:
    assert await repository.add("k-1") is True
    assert await repository.add("k-1") is False
    assert await repository.add("k-2") is True
    assert await repository.contains("k-1") is True
    assert await repository.contains("k-3") is False


async def test_concurrent_adds_of_one_key_let_exactly_one_through(
    repository: MongoIdempotentRepository,
) -> None:
    async with asyncio.timeout(10):
        results = await asyncio.gather(*(repository.add("same") for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]


async def test_a_removed_key_is_new_again(repository: MongoIdempotentRepository) -> None:
    await repository.add("k-1")
    await repository.confirm("k-1")

    await repository.remove("k-1")

    assert await repository.contains("k-1") is False
    assert await repository.add("k-1") is True


async def test_purge_forgets_only_old_keys(
    repository: MongoIdempotentRepository, clock: Clock, mongo_db: Database
) -> None:
    await repository.add("old")
    clock.now += timedelta(days=2)
    await repository.add("recent")

    assert await repository.purge_older_than(timedelta(days=1)) == 1

    assert (await repository.contains("old"), await repository.contains("recent")) == (False, True)
    assert "createdAt_1" in await mongo_db["seen"].index_information()


async def test_an_idempotent_route_stores_each_order_once(
    component: MongoComponent, repository: MongoIdempotentRepository, mongo_db: Database
) -> None:
    builder = RouteBuilder()
    (
        builder.from_("direct:orders")
        .idempotent_consumer(header("Idempotency-Key"), repository)
        .to(f"mongodb:{mongo_db.name}.orders?operation=insert")
        .end()
    )
    engine = Engine()
    engine.add_component("mongodb", component)
    engine.add_routes(builder)
    await engine.start()
    try:
        sent = [
            await engine.send("direct:orders", {"_id": f"o-{n}"}, {"Idempotency-Key": "k-1"})
            for n in range(3)
        ]
    finally:
        await engine.stop()

    assert [exchange.failed for exchange in sent] == [False, False, False]
    assert [exchange.properties.get(headers.DUPLICATE_MESSAGE, False) for exchange in sent] == [
        False,
        True,
        True,
    ]
    assert await mongo_db["orders"].find({}).to_list() == [{"_id": "o-0"}]
