"""FerretDB on PostgreSQL finds by an indexed field through an index, not a table scan
(see ``infra/ferretdb-indexes.sql``): asked of the real servers through ``explain``,
which FerretDB answers with PostgreSQL's plan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from infra import cache_dir
from infra.ferretdb import FerretDB
from infra.postgres import Postgres

Db = AsyncDatabase[dict[str, Any]]


@pytest.fixture(scope="module")
def ferretdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerretDB]:
    state = tmp_path_factory.mktemp("ferretdb-on-postgresql")
    postgres = Postgres(cache_dir(), state)
    server = FerretDB(cache_dir(), state, postgres)
    try:
        postgres.start()
        server.start()
        yield server
    finally:
        server.stop()
        postgres.stop()


@pytest.fixture
async def db(ferretdb: FerretDB) -> AsyncIterator[Db]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferretdb.env()["MONGO_URI"])
    try:
        yield client["twins"]
        await client.drop_database("twins")
    finally:
        await client.close()


async def _plan(db: Db, query: dict[str, Any]) -> dict[str, Any]:
    explained = await db.command("explain", {"find": "orders", "filter": query})
    plan: dict[str, Any] = explained["queryPlanner"]["Plan"]
    return plan


def _index_used(plan: dict[str, Any]) -> str:
    """The index PostgreSQL's plan reads ("" for none)."""
    for node in (plan, *plan.get("Plans", ())):
        if "Index Name" in node:
            return str(node["Index Name"])
    return ""


async def _filled(db: Db) -> None:
    await db["orders"].insert_many(
        [{"_id": f"order-{n}", "status": "EXECUTED" if n % 50 else "PENDING"} for n in range(500)]
    )


async def test_a_find_by_id_reads_an_index(db: Db) -> None:
    await _filled(db)

    used = _index_used(await _plan(db, {"_id": "order-7"}))

    assert used.endswith("_gin"), used


async def test_a_find_by_a_field_reads_its_index_until_the_index_is_dropped(db: Db) -> None:
    await _filled(db)
    await db["orders"].create_index("status", name="by_status")

    indexed = _index_used(await _plan(db, {"status": "PENDING"}))
    await db["orders"].drop_index("by_status")
    unindexed = await _plan(db, {"status": "PENDING"})

    assert indexed.endswith("_gin"), indexed
    assert unindexed["Node Type"] == "Seq Scan"


def test_a_restart_twins_the_indexes_made_before_twins_were(ferretdb: FerretDB) -> None:
    postgres = ferretdb.postgres
    assert postgres is not None
    postgres.run_sql(
        "CREATE SCHEMA IF NOT EXISTS legacy;"
        "CREATE TABLE legacy.orders_0 (_jsonb jsonb);"
        "DROP EVENT TRIGGER ferretdb_twin_created;"
        "CREATE UNIQUE INDEX orders_0_id_idx ON legacy.orders_0 ((_jsonb->'_id'));",
        "making an index as FerretDB did before its twins",
    )

    ferretdb.prepare()  # what each start of FerretDB runs first

    indexes = postgres.run_sql(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'legacy' ORDER BY 1", "listing"
    )
    assert indexes.split() == ["orders_0_id_idx", "orders_0_id_idx_gin"]
