"""The reconciliation's bookings by key, in a temporary SQLite file: taken out a page
of keys at a time, in the order they were booked, and left over one key at a time;
a statement of many bookings costs no more memory than one of a few."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bench.limits import write_orders
from bench.queries import ledger_entry
from endpoints.exchange import utcnow
from payments.operations.booking_index import BookingIndex
from payments.operations.reconciliation import every_order, reconcile, statement_pages
from payments.operations.statements import Booking, statement_bookings, write_csv
from payments.stores.sqlite import SqliteOrderStore

AT = datetime(2026, 12, 2, 9, 30, 15, 250000, tzinfo=UTC)


def booking(key: str, reference: str, amount: str = "12.50") -> Booking:
    return Booking(reference, key, "DE89370400440532013000", "FR14", Decimal(amount), "EUR", AT)


def test_bookings_are_taken_by_key_in_booking_order_and_only_once() -> None:
    with BookingIndex() as index:
        index.add([booking("a", "1"), booking("b", "2", "0.10"), booking("a", "3")])
        index.add([booking("c", "4")])
        taken = index.take(["a", "b", "x"])
        assert taken == {
            "a": [booking("a", "1"), booking("a", "3")],
            "b": [booking("b", "2", "0.10")],
        }
        assert index.take(["a"]) == {}
        assert list(index.left()) == [[booking("c", "4")]]


def test_what_is_left_comes_one_key_at_a_time_in_key_order() -> None:
    with BookingIndex() as index:
        index.add([booking("z", "1"), booking("m", "2"), booking("z", "3")])
        assert list(index.left()) == [[booking("m", "2")], [booking("z", "1"), booking("z", "3")]]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteOrderStore]:
    store = SqliteOrderStore(tmp_path / "orders.sqlite3")
    await store.start()
    yield store
    await store.stop()


async def peak_of_reconciling(store: SqliteOrderStore, orders: int, work: Path) -> int:
    """Bytes Python held at most while reconciling ``orders`` more EXECUTED orders
    (the store's every order) with a CSV statement booking each once."""
    for _ in range(orders // 500):
        await write_orders(store, store, 500)
    entries = [ledger_entry(order) async for page in every_order(store) for order in page]
    statement = write_csv(work / f"statement-{len(entries)}.csv", entries)
    del entries
    tracemalloc.start()
    try:
        report = await reconcile(
            every_order(store), statement_pages(statement), store, now=utcnow()
        )
        assert (report.matched, report.mismatches) == (report.bookings, [])
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_memory_does_not_grow_with_the_statement(
    store: SqliteOrderStore, tmp_path: Path
) -> None:
    small = await peak_of_reconciling(store, 1000, tmp_path)
    large = await peak_of_reconciling(store, 9000, tmp_path)  # 10,000 in all
    tracemalloc.start()
    try:
        held = list(statement_bookings(tmp_path / "statement-10000.csv"))
        held_bytes = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(held) == 10_000
    # The 9,000 more bookings, held as objects, take held_bytes * 0.9; the index, none.
    assert large - small < held_bytes / 10, (small, large, held_bytes)
