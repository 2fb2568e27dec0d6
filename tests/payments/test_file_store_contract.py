"""One file store contract, two stores: every test runs on MongoDB-wire (real FerretDB)
and SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from payments.domain.files import (
    FileBlock,
    FileOutcome,
    FileStore,
    FileTransaction,
    MessageIdTaken,
    PaymentFile,
)
from payments.domain.model import OrderStatus
from payments.stores import MongoFileStore, SqliteFileStore
from tests.conftest import drop_database, unique_name

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(params=[pytest.param("mongo", marks=pytest.mark.mongo), "sqlite"])
async def files(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FileStore]:
    database = unique_name("files").replace("-", "_")
    store: FileStore
    if request.param == "mongo":
        store = MongoFileStore(request.getfixturevalue("mongo_uri"), database)
    else:
        store = SqliteFileStore(tmp_path / "orders.sqlite3")
    await store.start()
    yield store
    await store.stop()
    if request.param == "mongo":
        await drop_database(request.getfixturevalue("mongo_uri"), database)


def a_file(
    file_id: str = "file-1",
    *,
    client: str = "shop-a",
    message_id: str = "MSG-1",
    digest: str = "d1",
    at: datetime = T0,
) -> PaymentFile:
    return PaymentFile(
        id=file_id,
        client_id=client,
        message="pain.001.001.09",
        message_id=message_id,
        digest=digest,
        received_at=at,
        created_at="2026-12-07T08:00:00",
        number_of_transactions=2,
        control_sum=Decimal("3.50"),
        blocks=(
            FileBlock(
                id="PMT-1",
                debtor_account="DE89370400440532013000",
                requested_execution_date=date(2026, 12, 7),
            ),
        ),
    )


def a_transaction(index: int, **outcome: str) -> FileTransaction:
    return FileTransaction(
        file_id="file-1",
        index=index,
        block="PMT-1",
        end_to_end_id=f"E2E-{index}",
        amount=Decimal("1.75"),
        currency="EUR",
        **outcome,
    )


async def test_a_file_reads_back_as_registered(files: FileStore) -> None:
    registered = await files.register(a_file())
    assert registered.created
    assert await files.get("file-1") == a_file()
    assert await files.get("file-1", client_id="shop-a") == a_file()
    assert await files.get("file-1", client_id="shop-b") is None
    assert await files.get("file-2") is None


async def test_one_msgid_of_one_client_is_one_file(files: FileStore) -> None:
    await files.register(a_file())
    again = await files.register(a_file("file-2"))
    assert (again.created, again.file.id) == (False, "file-1")
    with pytest.raises(MessageIdTaken) as taken:
        await files.register(a_file("file-3", digest="d2"))
    assert taken.value.existing.id == "file-1"
    other = await files.register(a_file("file-4", client="shop-b"))
    assert other.created


async def test_concurrent_registrations_of_one_msgid_store_one_file(files: FileStore) -> None:
    results = await asyncio.gather(*(files.register(a_file(f"file-{n}")) for n in range(8)))
    assert sum(result.created for result in results) == 1
    assert len({result.file.id for result in results}) == 1


async def test_a_transaction_is_recorded_once_and_read_in_the_files_order(
    files: FileStore,
) -> None:
    await files.register(a_file())
    await files.record([a_transaction(1, order_id="order-b"), a_transaction(0, order_id="order-a")])
    await files.record([a_transaction(1, reason="AC01", detail="again, otherwise")])
    assert await files.transactions("file-1") == [
        a_transaction(0, order_id="order-a"),
        a_transaction(1, order_id="order-b"),
    ]
    assert await files.transactions("file-2") == []


async def test_a_split_marked_done_stays_done(files: FileStore) -> None:
    await files.register(a_file())
    await files.mark_split("file-1")
    await files.mark_split("file-1")
    found = await files.get("file-1")
    assert found is not None
    assert found.split_done
    assert (await files.register(a_file("file-2"))).file.split_done


async def test_files_are_listed_newest_first_the_clients_own(files: FileStore) -> None:
    for n in range(3):
        await files.register(
            a_file(f"file-{n}", message_id=f"MSG-{n}", at=T0 + timedelta(minutes=n))
        )
    await files.register(a_file("file-b", client="shop-b", at=T0 + timedelta(hours=1)))
    assert [f.id for f in await files.list("shop-a", 2)] == ["file-2", "file-1"]
    assert [f.id for f in await files.list(None, 10)] == ["file-b", "file-2", "file-1", "file-0"]


async def test_an_outcome_is_kept_once(files: FileStore) -> None:
    await files.register(a_file())
    executed = FileOutcome(file_id="file-1", index=0, status=OrderStatus.EXECUTED)
    failed = FileOutcome(
        file_id="file-1", index=1, status=OrderStatus.FAILED, failure_reason="rejected"
    )
    await files.settle([executed, failed])
    await files.settle([executed.model_copy(update={"status": OrderStatus.CANCELLED})])
    assert sorted(await files.outcomes("file-1"), key=lambda o: o.index) == [executed, failed]
    assert await files.outcomes("file-2") == []
