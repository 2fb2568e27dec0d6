"""One contract, two stores: every test runs on MongoDB-wire (real FerretDB) and SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from bson.codec_options import CodecOptions
from pymongo.asynchronous.database import AsyncDatabase

from components.mongodb.codecs import DECIMAL_TYPES
from infra.server import free_port
from payments.domain.model import (
    ANONYMOUS_CLIENT,
    IllegalTransition,
    OrderStatus,
    PaymentOrder,
    Transition,
)
from payments.domain.store import (
    IdempotencyConflict,
    Move,
    OrderRef,
    OrderStore,
    StatusChange,
    StoreUnavailable,
)
from payments.domain.transitions import moved
from payments.stores import MongoOrderStore, OrderIdTaken, SqliteOrderStore
from payments.stores.documents import to_document
from tests.conftest import drop_database, unique_name
from tests.payments.store_steps import (
    THROUGH,
    SteppedClock,
    create,
    created,
    executing,
    folded,
    later,
    new_order,
    through,
    transition,
)

PENDING, VALIDATED, ACCEPTED = OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.ACCEPTED
EXECUTING, EXECUTED, FAILED = OrderStatus.EXECUTING, OrderStatus.EXECUTED, OrderStatus.FAILED
CANCELLED = OrderStatus.CANCELLED
T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)

Opener = Callable[[], Awaitable[OrderStore]]
S = TypeVar("S", bound=OrderStore)


@pytest.fixture(params=[pytest.param("mongo", marks=pytest.mark.mongo), "sqlite"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens stores on one database of this test's own (a second one sees the same data)."""
    opened: list[OrderStore] = []
    database = unique_name("orders").replace("-", "_")
    clock = SteppedClock()  # one for every store of the test, as one wall clock

    async def open_() -> OrderStore:
        store: OrderStore
        if request.param == "mongo":
            store = MongoOrderStore(request.getfixturevalue("mongo_uri"), database, clock=clock)
        else:
            store = SqliteOrderStore(tmp_path / "orders.sqlite3")
        await store.start()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.stop()
    if request.param == "mongo":
        await drop_database(request.getfixturevalue("mongo_uri"), database)


@pytest.fixture
async def store(open_store: Opener) -> OrderStore:
    return await open_store()


@contextlib.asynccontextmanager
async def started(store: S) -> AsyncIterator[S]:
    await store.start()
    try:
        yield store
    finally:
        await store.stop()


async def test_an_order_reads_back_exactly_as_created(store: OrderStore) -> None:
    at = datetime(2026, 3, 1, 13, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    amount = Decimal("12345678901234567890.10")
    order = new_order(at=at, key="key-1", amount=amount)

    stored = await created(store, order)
    read = await store.get(order.id)

    assert read == stored
    assert read.amount == amount
    assert str(read.amount) == "12345678901234567890.10"
    assert read.created_at == datetime(2026, 3, 1, 11, 0, 0, 123000, tzinfo=UTC)
    assert read.created_at.utcoffset() == timedelta(0)
    assert read.history == (
        Transition(status=PENDING, at=read.created_at, reason="order received"),
    )
    assert (read.idempotency_key, read.request_hash) == ("key-1", "hash-1")
    assert (read.version, read.event_published_at) == (0, None)


async def test_an_unknown_order_is_none(store: OrderStore) -> None:
    assert await store.get("no-such-order") is None


async def test_a_repeated_key_with_the_same_request_returns_the_first_order(
    store: OrderStore,
) -> None:
    first = await created(store, new_order(key="key-1"))

    again, is_new = await create(store, new_order(key="key-1", at=T0 + timedelta(seconds=5)))

    assert (again, is_new) == (first, False)
    assert await store.list(None, 10, None) == [first]


async def test_a_repeated_key_with_another_request_is_a_conflict(store: OrderStore) -> None:
    first = await created(store, new_order(key="key-1"))

    with pytest.raises(IdempotencyConflict) as conflict:
        await create(store, new_order(key="key-1", request_hash="hash-2"))

    assert conflict.value.existing == first
    assert await store.list(None, 10, None) == [first]


async def test_in_one_batch_a_conflict_and_a_replay_are_their_orders_own(
    store: OrderStore,
) -> None:
    """Group commit: one order's taken key changes nothing for the others in its call."""
    first = await created(store, new_order(key="key-1"))
    fresh = [new_order(at=T0 + timedelta(seconds=n)) for n in (1, 2)]
    batch = [
        fresh[0],
        new_order(key="key-1", request_hash="hash-2"),
        new_order(key="key-1"),
        fresh[1],
    ]

    results = await store.create_all(batch)

    assert results[0] == (fresh[0], True)
    assert isinstance(results[1], IdempotencyConflict)
    assert results[1].existing == first
    assert results[2] == (first, False)
    assert results[3] == (fresh[1], True)
    assert await store.list(None, 10, None) == [fresh[1], fresh[0], first]


async def test_orders_without_a_key_never_collide(store: OrderStore) -> None:
    orders = [await created(store, new_order()) for _ in range(3)]

    assert {order.id for order in await store.list(None, 10, None)} == {o.id for o in orders}


async def test_one_idempotency_key_of_two_clients_makes_two_orders(store: OrderStore) -> None:
    mine = await created(store, new_order(key="key-1", client="shop-a"))
    theirs = await created(store, new_order(key="key-1", client="shop-b", request_hash="hash-2"))

    assert mine.id != theirs.id
    assert await create(store, new_order(key="key-1", client="shop-a")) == (mine, False)
    assert await create(store, new_order(key="key-1", client="shop-b", request_hash="hash-2")) == (
        theirs,
        False,
    )
    with pytest.raises(IdempotencyConflict) as conflict:
        await create(store, new_order(key="key-1", client="shop-a", request_hash="hash-2"))
    assert conflict.value.existing == mine


async def test_a_client_reads_only_its_own_orders(store: OrderStore) -> None:
    mine = [await created(store, new_order(at=T0 + timedelta(seconds=n))) for n in range(3)]
    theirs = await created(store, new_order(client="shop-b", at=T0 + timedelta(seconds=9)))

    assert await store.get(mine[0].id, client_id="shop-a") == mine[0]
    assert await store.get(mine[0].id, client_id="shop-b") is None
    assert await store.get(theirs.id, client_id="shop-a") is None
    assert await store.get(theirs.id) == theirs  # no client: the lifecycle's own reads
    assert await store.list(None, 10, None, client_id="shop-a") == mine[::-1]
    assert await store.list(PENDING, 10, None, client_id="shop-b") == [theirs]
    assert await store.list(None, 10, None) == [theirs, *mine[::-1]]
    # Another client's order is no cursor: as for an unknown id, the page is empty.
    assert await store.list(None, 10, theirs.id, client_id="shop-a") == []
    assert await store.list(None, 1, mine[2].id, client_id="shop-a") == [mine[1]]


async def test_a_taken_order_id_is_refused(store: OrderStore) -> None:
    order = await created(store, new_order())

    with pytest.raises(OrderIdTaken):
        await create(store, order.model_copy(update={"request_hash": "hash-2"}))


async def test_concurrent_creates_with_one_key_create_exactly_one_order(
    store: OrderStore,
) -> None:
    async with asyncio.timeout(20):
        results = await asyncio.gather(*(create(store, new_order(key="key-1")) for _ in range(30)))

    assert [is_new for _, is_new in results].count(True) == 1
    assert len({order.id for order, _ in results}) == 1
    assert len(await store.list(None, 100, None)) == 1


async def test_transitions_are_compare_and_set_and_recorded_in_the_history(
    store: OrderStore,
) -> None:
    order = await created(store, new_order())
    times = [T0 + timedelta(seconds=n) for n in range(1, 5)]
    stale = Move(OrderRef.of(order), [StatusChange(PENDING, VALIDATED, "late duplicate")], times[1])

    first = await transition(store, order.id, PENDING, VALIDATED, times[0], "validated")
    assert await store.move_all([stale]) == [False]
    await transition(store, order.id, VALIDATED, ACCEPTED, times[1])
    await transition(store, order.id, ACCEPTED, EXECUTING, times[2], "command issued")
    done = await transition(store, order.id, EXECUTING, EXECUTED, times[3], "paid", attempts=2)

    assert first is not None
    assert done is not None
    assert done == await store.get(order.id)
    assert (done.status, done.updated_at, done.attempts, done.failure_reason, done.version) == (
        EXECUTED,
        times[3],
        2,
        None,
        4,
    )
    assert done.history == (
        Transition(status=PENDING, at=T0, reason="order received"),
        Transition(status=VALIDATED, at=times[0], reason="validated"),
        Transition(status=ACCEPTED, at=times[1]),
        Transition(status=EXECUTING, at=times[2], reason="command issued"),
        Transition(status=EXECUTED, at=times[3], reason="paid"),
    )


async def test_another_store_reads_what_one_wrote(open_store: Opener) -> None:
    writer, reader = await open_store(), await open_store()  # two processes, one database
    order = await created(writer, new_order())
    assert await reader.get(order.id) == order
    after = await transition(writer, order.id, PENDING, VALIDATED, T0 + timedelta(seconds=1))
    assert await reader.get(order.id) == after


async def test_a_run_of_transitions_is_one_write_and_the_queries_see_the_last(
    store: OrderStore,
) -> None:
    order = await created(store, new_order())
    at = T0 + timedelta(seconds=1)

    assert await store.move_all([through(order, at)]) == [True]

    stored = await store.get(order.id)
    assert stored == moved(order, through(order, at))
    assert stored is not None
    assert (stored.status, stored.version) == (EXECUTING, 1)
    assert stored.history[1:] == tuple(
        Transition(status=step.target, at=at, reason=step.reason) for step in THROUGH
    )
    assert [o.id for o in await store.list(EXECUTING, 10, None)] == [order.id]
    assert await store.list(PENDING, 10, None) == []
    assert await store.count_by_status() == {EXECUTING: 1}


async def test_in_one_batch_a_lost_compare_and_set_is_its_orders_own(store: OrderStore) -> None:
    orders = [await created(store, new_order()) for _ in range(3)]
    await transition(store, orders[1].id, PENDING, FAILED, T0 + timedelta(seconds=1), "refused")

    done = await store.move_all([through(order) for order in orders])

    assert done == [True, False, True]
    statuses = [(await store.get(order.id)) for order in orders]
    assert [order.status for order in statuses if order] == [EXECUTING, FAILED, EXECUTING]


async def test_racing_runs_of_transitions_write_each_step_once(open_store: Opener) -> None:
    """Two processes take an order through the same run at once: one write wins, the
    other is refused, and each step is in the history once."""
    one, other = await open_store(), await open_store()
    orders = [await created(one, new_order()) for _ in range(10)]

    async with asyncio.timeout(30):
        races = await asyncio.gather(
            one.move_all([through(order) for order in orders]),
            other.move_all([through(order) for order in orders]),
        )

    assert [sorted(won) for won in zip(*races, strict=True)] == [[False, True]] * len(orders)
    for order in orders:
        stored = await other.get(order.id)
        assert stored is not None
        assert [step.status for step in stored.history] == [PENDING, VALIDATED, ACCEPTED, EXECUTING]


async def test_a_run_with_an_illegal_step_writes_nothing(store: OrderStore) -> None:
    order = await created(store, new_order())
    illegal = Move(OrderRef.of(order), [THROUGH[0], StatusChange(VALIDATED, EXECUTED)], T0)

    with pytest.raises(IllegalTransition):
        await store.move_all([through(await created(store, new_order())), illegal])
    assert await store.get(order.id) == order
    assert await store.count_by_status() == {PENDING: 2}


async def test_of_many_racing_transitions_exactly_one_wins_per_order(store: OrderStore) -> None:
    orders = [await created(store, new_order()) for _ in range(10)]

    async def race(order: PaymentOrder) -> list[PaymentOrder | None]:
        return await asyncio.gather(
            *(transition(store, order.id, PENDING, VALIDATED, T0, f"racer {n}") for n in range(8))
        )

    async with asyncio.timeout(20):
        results = await asyncio.gather(*(race(order) for order in orders))

    assert [sum(after is not None for after in result) for result in results] == [1] * 10
    for order, result in zip(orders, results, strict=True):
        (winner,) = [after for after in result if after is not None]
        assert await store.get(order.id) == winner
        assert [step.status for step in winner.history] == [PENDING, VALIDATED]


async def test_settling_and_the_workers_transition_at_once_both_stay(
    store: OrderStore,
) -> None:
    orders = [await executing(store, new_order()) for _ in range(10)]
    done_at = T0 + timedelta(seconds=2)

    async with asyncio.timeout(20):
        await asyncio.gather(
            store.settle([order.id for order in orders]),
            *(transition(store, o.id, EXECUTING, EXECUTED, done_at, "paid") for o in orders),
        )

    for order in orders:
        final = await store.get(order.id)
        assert final is not None
        assert final.status is EXECUTED
        assert [step.status for step in final.history][-2:] == [EXECUTING, EXECUTED]
    assert await store.owing(done_at + timedelta(days=1), 20) == []


async def test_a_failure_keeps_its_reason_and_attempts(store: OrderStore) -> None:
    order = await created(store, new_order())
    at = T0 + timedelta(seconds=1)

    failed = await transition(store, order.id, PENDING, FAILED, at, "gateway refused", 3)

    assert failed is not None
    assert failed == await store.get(order.id)
    assert (failed.status, failed.failure_reason, failed.attempts) == (FAILED, "gateway refused", 3)
    assert failed.history[-1] == Transition(status=FAILED, at=at, reason="gateway refused")


async def test_an_illegal_transition_raises_and_writes_nothing(store: OrderStore) -> None:
    order = await created(store, new_order())

    with pytest.raises(IllegalTransition):
        await transition(store, order.id, PENDING, EXECUTED, T0 + timedelta(seconds=1))

    assert await store.get(order.id) == order


async def test_a_terminal_state_is_final(store: OrderStore) -> None:
    order = await created(store, new_order())
    done = await transition(store, order.id, PENDING, FAILED, T0 + timedelta(seconds=1), "bad")
    late = Move(OrderRef.of(order), [StatusChange(PENDING, VALIDATED)], T0 + timedelta(seconds=2))

    with pytest.raises(IllegalTransition):
        await transition(store, order.id, FAILED, VALIDATED, T0 + timedelta(seconds=2))
    assert await store.move_all([late]) == [False]
    assert await store.get(order.id) == done


async def test_list_pages_newest_first_through_the_cursor(store: OrderStore) -> None:
    # Pairs share a creation time, so the cursor must break ties by id. One batch, as
    # concurrent POSTs make one: MongoDB lists by the second an order was written in
    # first, which then is the same for all of them.
    results = await store.create_all(
        [new_order(at=T0 + timedelta(seconds=n // 2)) for n in range(8)]
    )
    orders = [order for order, _ in (result for result in results if isinstance(result, tuple))]
    newest_first = sorted(orders, key=lambda order: (order.created_at, order.id), reverse=True)

    pages = [await store.list(None, 3, None)]
    while pages[-1]:
        pages.append(await store.list(None, 3, pages[-1][-1].id))

    assert [len(page) for page in pages] == [3, 3, 2, 0]
    assert [order for page in pages for order in page] == newest_first
    assert await store.list(None, 3, "no-such-order") == []


async def test_list_filters_by_status_across_pages(store: OrderStore) -> None:
    orders = [await created(store, new_order(at=T0 + timedelta(seconds=n))) for n in range(7)]
    validated = [
        await transition(store, order.id, PENDING, VALIDATED, T0 + timedelta(minutes=1))
        for order in orders[::2]
    ]

    first = await store.list(VALIDATED, 2, None)
    second = await store.list(VALIDATED, 2, first[-1].id)
    third = await store.list(VALIDATED, 2, second[-1].id)

    assert [*first, *second, *third] == validated[::-1]
    assert [len(page) for page in (first, second, third)] == [2, 2, 0]
    assert await store.list(PENDING, 10, None) == orders[1::2][::-1]


async def test_a_terminal_status_lists_its_orders_by_when_they_reached_it(
    store: OrderStore,
) -> None:
    """The latest to end first, whatever order they were created in, across pages and
    before and after a fold. A second apart, as MongoDB lists by the second."""
    orders = [await executing(store, new_order(at=T0 + timedelta(seconds=n))) for n in range(4)]
    ended = []
    for minutes, order in enumerate([orders[2], orders[0], orders[3], orders[1]], start=1):
        later(store, timedelta(seconds=1))
        at = T0 + timedelta(minutes=minutes)
        ended.append(await transition(store, order.id, EXECUTING, FAILED, at, "refused"))

    async def pages() -> list[Sequence[PaymentOrder]]:
        first = await store.list(FAILED, 3, None)
        return [first, await store.list(FAILED, 3, first[-1].id)]

    assert await pages() == [ended[:0:-1], ended[:1]]
    await folded(store)
    assert await pages() == [ended[:0:-1], ended[:1]]
    assert await store.list(None, 4, None) == [await store.get(o.id) for o in orders[::-1]]


async def test_an_order_owes_its_command_from_its_creation_until_settled(
    store: OrderStore,
) -> None:
    """The recovery sweep's view: what is owed and has not changed since the cutoff,
    oldest change first; settling twice changes nothing."""
    old, older, recent = [
        await created(store, new_order(at=T0 + timedelta(minutes=n))) for n in (2, 1, 9)
    ]
    settled, sent = [await executing(store, new_order()) for _ in range(2)]
    await store.settle([settled.id])
    await store.settle([settled.id])
    after = await transition(store, old.id, PENDING, VALIDATED, T0 + timedelta(minutes=4))
    cutoff = T0 + timedelta(minutes=5)

    assert await store.owing(cutoff, 10) == [sent, older, after]
    assert await store.owing(cutoff, 1) == [sent]
    assert await store.owing(T0 + timedelta(minutes=10), 10) == [sent, older, after, recent]
    assert await store.owing(T0, 10) == []


async def test_a_command_owed_by_an_order_that_ended_is_no_longer_owed(
    store: OrderStore,
) -> None:
    order = await executing(store, new_order())
    await transition(store, order.id, EXECUTING, FAILED, T0, "refused")

    assert await store.owing(T0 + timedelta(minutes=5), 10) == []


async def test_a_cancelled_order_owes_its_event_until_marked_and_settled(
    store: OrderStore,
) -> None:
    """A cancel notes the order owing before its move (even one that owed nothing, as a
    SCHEDULED one): CANCELLED, it stays owed until its event is marked published;
    noted twice, it is owed once."""
    pending, waiting = [await created(store, new_order()) for _ in range(2)]
    await store.settle([waiting.id])  # a SCHEDULED order's note stands for it
    at = T0 + timedelta(minutes=1)
    await store.owe([pending.id, waiting.id], at)
    await store.owe([waiting.id], at)
    for order in (pending, waiting):
        assert await transition(store, order.id, PENDING, CANCELLED, at, "cancelled")

    async def owed() -> list[tuple[str, OrderStatus]]:
        orders = await store.owing(T0 + timedelta(minutes=5), 10)
        return sorted((order.id, order.status) for order in orders)

    assert await owed() == sorted([(pending.id, CANCELLED), (waiting.id, CANCELLED)])
    await store.mark_events_published([pending.id], at)
    assert await owed() == [(waiting.id, CANCELLED)]
    await store.mark_events_published([waiting.id], at)
    await store.settle([waiting.id])
    assert await owed() == []


async def test_an_order_for_a_day_reads_back_with_its_days(store: OrderStore) -> None:
    order = new_order().model_copy(
        update={"requested_execution_date": date(2026, 3, 7), "execution_date": date(2026, 3, 9)}
    )
    stored = await created(store, order)
    assert stored == await store.get(order.id)
    assert (stored.requested_execution_date, stored.execution_date) == (
        date(2026, 3, 7),
        date(2026, 3, 9),
    )


async def test_orders_noted_due_come_from_their_day_on_earliest_first(store: OrderStore) -> None:
    """The release's view: a note per order (a second changes nothing), served up to a
    day in pages; a note of an order that ended goes, ``unschedule`` takes the others."""
    orders = [await created(store, new_order()) for _ in range(4)]
    ids = [order.id for order in orders]
    days = [date(2026, 3, day) for day in (9, 3, 5, 20)]
    await store.schedule(dict(zip(ids, days, strict=True)))
    await store.schedule({ids[0]: date(2026, 3, 1)})  # the first day stays

    assert await store.due(date(2026, 3, 2), 10) == []
    assert [o.id for o in await store.due(date(2026, 3, 9), 10)] == [ids[1], ids[2], ids[0]]
    assert [o.id for o in await store.due(date(2026, 3, 9), 2)] == [ids[1], ids[2]]
    await transition(store, ids[1], PENDING, FAILED, T0, "refused")
    assert [o.id for o in await store.due(date(2026, 3, 9), 10)] == [ids[2], ids[0]]
    await store.unschedule([ids[2]])
    await store.unschedule([ids[2]])
    assert await store.due(date(2026, 12, 31), 10) == [await store.get(i) for i in (ids[0], ids[3])]


async def test_many_orders_due_at_once_come_a_bounded_page_at_a_time(store: OrderStore) -> None:
    """What the release relies on for many orders due at once (it asks 500 a page):
    each call gives at most ``limit``, earliest day first; once a page is released the
    next comes, and every order comes once."""
    results = await store.create_all([new_order() for _ in range(120)])
    ids = sorted(result[0].id for result in results if isinstance(result, tuple))
    await store.schedule({order_id: date(2026, 3, 9) for order_id in ids[:70]})
    await store.schedule({order_id: date(2026, 3, 10) for order_id in ids[70:]})
    released: list[str] = []
    for _ in range(4):
        page = await store.due(date(2026, 3, 10), 50)
        assert len(page) <= 50
        released += [order.id for order in page]
        await store.unschedule([order.id for order in page])
    assert sorted(released[:70]) == ids[:70]  # the earlier day first
    assert sorted(released) == ids


async def test_count_by_status_counts_each_order_in_its_current_status(
    store: OrderStore,
) -> None:
    assert await store.count_by_status() == {}
    first, second, third = [await created(store, new_order()) for _ in range(3)]
    await transition(store, first.id, PENDING, VALIDATED, T0 + timedelta(minutes=1))
    await transition(store, second.id, PENDING, FAILED, T0 + timedelta(minutes=1), "bad")

    assert await store.count_by_status() == {PENDING: 1, VALIDATED: 1, FAILED: 1}
    assert third.status is PENDING


async def test_the_first_claim_of_a_payment_wins_and_every_later_one_is_refused(
    store: OrderStore,
) -> None:
    orders = [await executing(store, new_order()) for _ in range(3)]
    ids = [order.id for order in orders]

    assert await store.claim_payments(ids[:1]) == [True]
    racing = await asyncio.gather(*(store.claim_payments(ids) for _ in range(4)))

    assert [claims[0] for claims in racing] == [False] * 4
    for index in (1, 2):
        assert [claims[index] for claims in racing].count(True) == 1


async def test_the_event_mark_keeps_its_first_time(store: OrderStore) -> None:
    order = await created(store, new_order())
    at = T0 + timedelta(seconds=3, microseconds=4567)

    await store.mark_events_published([order.id], at)
    await store.mark_events_published([order.id], at + timedelta(seconds=1))  # the first stays

    published = await store.get(order.id)
    assert published is not None
    assert published.event_published_at == T0 + timedelta(seconds=3, microseconds=4000)
    assert published == order.model_copy(
        update={"event_published_at": published.event_published_at}
    )


async def test_one_of_racing_claims_of_an_unpublished_event_wins_until_its_lease_lapses(
    store: OrderStore,
) -> None:
    order = await created(store, new_order())
    lease = timedelta(seconds=10)
    assert not await store.claim_event(order.id, T0 + timedelta(hours=1), lease)  # not ended
    await transition(store, order.id, PENDING, FAILED, T0, "refused")

    assert not await store.claim_event(order.id, T0 + timedelta(seconds=5), lease)  # just ended
    later = T0 + timedelta(minutes=1)
    claims = await asyncio.gather(*(store.claim_event(order.id, later, lease) for _ in range(8)))
    assert claims.count(True) == 1
    assert not await store.claim_event(order.id, later + timedelta(seconds=9), lease)
    assert await store.claim_event(order.id, later + timedelta(seconds=11), lease)  # lapsed
    await store.mark_events_published([order.id], later + timedelta(seconds=12))
    assert not await store.claim_event(order.id, later + timedelta(hours=1), lease)


async def test_orders_outlive_the_store_that_wrote_them(open_store: Opener) -> None:
    first = await open_store()
    order = await created(first, new_order(key="key-1"))
    await first.stop()

    second = await open_store()

    assert await second.get(order.id) == order
    assert await create(second, new_order(key="key-1")) == (order, False)


async def test_two_stores_changing_one_order_in_turn_never_lose_a_step(
    open_store: Opener,
) -> None:
    one, other = await open_store(), await open_store()
    order = await created(one, new_order())
    steps = [(PENDING, VALIDATED), (VALIDATED, ACCEPTED), (ACCEPTED, EXECUTING)]

    for n, (expected, target) in enumerate(steps):
        writer = (one, other)[n % 2]
        assert await transition(writer, order.id, expected, target, T0) is not None
    assert await transition(one, order.id, ACCEPTED, EXECUTING, T0) is None  # stale expectation
    done = await transition(other, order.id, EXECUTING, EXECUTED, T0, "paid")

    assert done is not None
    assert [step.status for step in done.history] == [
        PENDING,
        VALIDATED,
        ACCEPTED,
        EXECUTING,
        EXECUTED,
    ]
    assert await one.get(order.id) == done


async def test_an_unreachable_mongo_answers_store_unavailable_within_3_seconds() -> None:
    store = MongoOrderStore(f"mongodb://127.0.0.1:{free_port()}/")
    move = Move(OrderRef("order-1", 0, T0, "shop-a", T0), [StatusChange(PENDING, VALIDATED)], T0)
    calls: list[Awaitable[object]] = [
        store.start(),
        store.ping(),
        store.create_all([new_order()]),
        store.get("order-1"),
        store.move_all([move]),
        store.claim_payments(["order-1"]),
        store.mark_events_published(["order-1"], T0),
        store.list(None, 10, None),
        store.count_by_status(),
        store.owing(T0, 10),
    ]
    try:
        async with asyncio.timeout(3):
            results = await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await store.stop()

    assert [type(result) for result in results] == [StoreUnavailable] * len(calls)


async def test_an_sqlite_file_written_before_clients_gets_its_orders_as_anonymous(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    old = new_order(key="key-1", client=ANONYMOUS_CLIENT)
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE orders (id TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, status TEXT"
            " NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
            " document TEXT NOT NULL)"
        )
        document = json.dumps(
            {name: value for name, value in to_document(old, "json").items() if name != "clientId"}
        )
        db.execute(
            "INSERT INTO orders VALUES (?, ?, 'PENDING', 0, 0, ?)", (old.id, "key-1", document)
        )
    async with started(SqliteOrderStore(path)) as store:
        assert await store.get(old.id, client_id=ANONYMOUS_CLIENT) == old
        assert await store.list(None, 10, None, client_id=ANONYMOUS_CLIENT) == [old]
        await created(store, new_order(key="key-1", client="shop-a"))


async def test_queries_see_each_order_in_its_final_status_after_racing_writers_and_readers(
    open_store: Opener,
) -> None:
    """Ingestion settles the commands while a worker ends the orders and a client polls
    them, each through a store of its own."""
    ingestion, worker, reader = await open_store(), await open_store(), await open_store()
    orders = [await executing(ingestion, new_order()) for _ in range(12)]
    ids = [order.id for order in orders]
    paid = [Move(OrderRef.of(o), [StatusChange(EXECUTING, EXECUTED, "paid")], T0) for o in orders]

    async def end() -> None:
        assert await worker.claim_payments(ids) == [True] * len(ids)
        assert await worker.move_all(paid) == [True] * len(ids)
        await worker.mark_events_published(ids, T0)

    async def poll(order_id: str) -> None:
        for _ in range(3):
            await reader.get(order_id)

    async with asyncio.timeout(60):
        await asyncio.gather(ingestion.settle(ids), end(), *(poll(order_id) for order_id in ids))

    assert await reader.count_by_status() == {EXECUTED: len(orders)}
    listed = await reader.list(EXECUTED, 100, None)
    assert sorted(order.id for order in listed) == sorted(ids)
    assert await reader.owing(T0 + timedelta(days=1), 100) == []


async def test_an_sqlite_file_from_before_owed_commands_owes_the_unmarked_ones(
    tmp_path: Path,
) -> None:
    """Its EXECUTING orders carried the mark as ``commandPublishedAt``: one without it
    still owes its command, one with it does not."""
    path = tmp_path / "old.sqlite3"
    async with started(SqliteOrderStore(path)) as first:
        owing, marked = [await executing(first, new_order()) for _ in range(2)]
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE owed_commands")
        db.execute(
            "UPDATE orders SET document = json_set(document, '$.commandPublishedAt', ?)"
            " WHERE id = ?",
            (T0.isoformat(), marked.id),
        )

    async with started(SqliteOrderStore(path)) as store:
        assert await store.owing(T0 + timedelta(minutes=5), 10) == [owing]


async def test_an_sqlite_file_from_before_orders_owed_from_creation_owes_its_new_orders(
    tmp_path: Path,
) -> None:
    """Written when only EXECUTING orders owed their commands (user_version 0): its
    orders before EXECUTING owe theirs too once opened."""
    path = tmp_path / "old.sqlite3"
    async with started(SqliteOrderStore(path)) as first:
        pending = await created(first, new_order())
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM owed_commands")
        db.execute("PRAGMA user_version = 0")

    async with started(SqliteOrderStore(path)) as store:
        assert await store.owing(T0 + timedelta(minutes=5), 10) == [pending]


async def every_listing(store: OrderStore) -> dict[str, object]:
    """What every listing and the counts show now, pages of two through the cursor."""

    async def pages(status: OrderStatus | None, client_id: str | None) -> list[str]:
        ids: list[str] = []
        page = await store.list(status, 2, None, client_id=client_id)
        while page:
            ids += [order.id for order in page]
            page = await store.list(status, 2, page[-1].id, client_id=client_id)
        return ids

    shown: dict[str, object] = {"counts": await store.count_by_status()}
    for status in (None, *OrderStatus):
        for client_id in (None, "shop-a", "shop-b"):
            shown[f"{status}/{client_id}"] = await pages(status, client_id)
    return shown


async def test_listings_and_counts_show_the_same_before_and_after_a_fold(
    store: OrderStore,
) -> None:
    """Folding the recent writes into the summaries changes nothing anyone reads, and a
    cursor carries on across the orders folded and those not."""
    clients = ("shop-a", "shop-b")
    orders = [
        await created(store, new_order(at=T0 + timedelta(seconds=n), client=clients[n % 2]))
        for n in range(6)
    ]
    sent = await executing(store, new_order(at=T0 + timedelta(seconds=7)))
    at = T0 + timedelta(minutes=1)
    await transition(store, orders[0].id, PENDING, VALIDATED, at)
    await transition(store, orders[1].id, PENDING, FAILED, at, "refused")
    before = await every_listing(store)

    await folded(store)
    assert await every_listing(store) == before

    later = [
        await created(store, new_order(at=T0 + timedelta(minutes=2, seconds=n))) for n in range(3)
    ]
    await transition(store, orders[2].id, PENDING, FAILED, at + timedelta(seconds=1), "refused")
    shown = await every_listing(store)
    newest_of_shop_a = [*later[::-1], sent, orders[4], orders[2], orders[0]]
    assert shown["None/shop-a"] == [order.id for order in newest_of_shop_a]
    assert shown["FAILED/None"] == [orders[2].id, orders[1].id]
    assert shown["counts"] == {PENDING: 6, VALIDATED: 1, EXECUTING: 1, FAILED: 2}
    await folded(store)
    assert await every_listing(store) == shown


async def test_a_refused_write_shows_in_no_listing_and_no_count(store: OrderStore) -> None:
    first = await created(store, new_order(key="key-1"))
    await store.create_all([new_order(key="key-1", request_hash="hash-2"), new_order(key="key-1")])
    ended = await executing(store, new_order(at=T0 + timedelta(seconds=1)))
    paid = Move(
        OrderRef.of(ended), [StatusChange(EXECUTING, EXECUTED, "paid")], T0 + timedelta(seconds=1)
    )
    assert await store.move_all([paid, paid]) == [True, False]  # a duplicate in one batch
    late = Move(
        OrderRef.of(ended), [StatusChange(EXECUTING, EXECUTED, "late")], T0 + timedelta(seconds=2)
    )
    assert await store.move_all([late]) == [False]

    for fold in (False, True):
        if fold:
            await folded(store)
        assert [order.id for order in await store.list(None, 10, None)] == [ended.id, first.id]
        assert [order.id for order in await store.list(EXECUTED, 10, None)] == [ended.id]
        assert await store.count_by_status() == {PENDING: 1, EXECUTED: 1}


@pytest.mark.mongo
async def test_a_mongo_database_of_the_layout_before_revisions_is_moved_once_and_keeps_everything(
    mongo_uri: str, mongo_db: AsyncDatabase[dict[str, object]]
) -> None:
    """Orders kept in ``orders``, ``order_versions`` and ``owed_commands``: each is read
    as it last was, counted and listed, keeps its idempotency key, and still owes its
    command where it did; a second start moves nothing again."""
    at = [T0 + timedelta(minutes=n) for n in range(6)]
    ended = new_order(at=at[0], key="key-1").model_copy(update={"event_published_at": at[2]})
    executed = ended.model_copy(
        update={
            "status": EXECUTED,
            "updated_at": at[2],
            "history": (*ended.history, Transition(status=EXECUTED, at=at[2], reason="paid")),
            "attempts": 1,
            "gateway_reference": "ref-1",
        }
    )
    pending = new_order(at=at[1])
    owing = new_order(at=at[3]).model_copy(update={"status": EXECUTING})
    published = new_order(at=at[4]).model_copy(update={"status": EXECUTING})

    def old_document(order: PaymentOrder, version: int) -> dict[str, object]:
        fields = to_document(order, "python")
        key = order.idempotency_key
        scoped = {} if key is None else {"clientIdempotencyKey": f"{order.client_id}:{key}"}
        return {"_id": fields.pop("id"), **fields, **scoped, "version": version}

    codecs: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True, type_registry=DECIMAL_TYPES)

    def old(name: str) -> Any:
        return mongo_db.get_collection(name, codec_options=codecs)

    # The ended order's orders document is a version behind, as a crash could leave it.
    await old("orders").insert_many(
        [old_document(ended.model_copy(update={"event_published_at": None}), 3)]
        + [old_document(order, 0) for order in (pending, owing, published)]
    )
    await old("order_versions").insert_one(
        {"_id": f"{ended.id}#4", **to_document(executed, "python")}
    )
    await old("owed_commands").insert_one({"_id": owing.id, "since": at[3]})

    async with started(MongoOrderStore(mongo_uri, mongo_db.name)) as store:
        assert await store.get(ended.id) == executed.model_copy(update={"version": 0})
        assert await store.get(pending.id) == pending
        assert await store.count_by_status() == {EXECUTED: 1, PENDING: 1, EXECUTING: 2}
        listed = [order.id for order in await store.list(None, 10, None)]
        assert listed == [published.id, owing.id, pending.id, ended.id]
        assert [order.id for order in await store.list(EXECUTED, 10, None)] == [ended.id]
        swept = await store.owing(T0 + timedelta(days=1), 10)
        assert sorted(order.id for order in swept) == sorted([pending.id, owing.id])
        assert await create(store, new_order(key="key-1")) == (await store.get(ended.id), False)
        newer = await created(store, new_order(at=at[5]))
    async with started(MongoOrderStore(mongo_uri, mongo_db.name)) as again:
        assert await again.count_by_status() == {EXECUTED: 1, PENDING: 2, EXECUTING: 2}
        assert (await again.list(None, 1, None))[0] == newer
