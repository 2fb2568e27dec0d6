"""The order lifecycle as a state machine, under random attempted transitions.

Each example creates an order and applies batches of (expected, target) attempts: the
attempts of a batch run concurrently through two store instances on one database (two
workers), the batches one after another. Whatever the attempts, the stored order holds:
its history is a legal path from PENDING, a terminal state is final, ``status`` is the
last step, an illegal attempt raises and writes nothing, and every attempt that won
appears in the history exactly once (no two concurrent writers win one step).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count, pairwise
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.domain.model import (
    ALLOWED_TRANSITIONS,
    IllegalTransition,
    OrderStatus,
    PaymentOrder,
    Transition,
)
from payments.domain.store import OrderStore
from payments.stores import MongoOrderStore, SqliteOrderStore
from tests.conftest import unique_name
from tests.payments.store_steps import created, transition

Attempt = tuple[OrderStatus, OrderStatus]
Outcome = PaymentOrder | IllegalTransition | None

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LEGAL = sorted(
    (current, target) for current, targets in ALLOWED_TRANSITIONS.items() for target in targets
)

# Mostly legal attempts (so orders get far), some of any kind (so illegal ones are tried).
attempts = st.one_of(
    st.sampled_from(LEGAL),
    st.tuples(st.sampled_from(OrderStatus), st.sampled_from(OrderStatus)),
)
batches = st.lists(st.lists(attempts, min_size=1, max_size=4), min_size=1, max_size=6)


def bounded(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        # The stores are opened once per test; each example makes an order of its own.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture
async def sqlite_stores(tmp_path: Path) -> AsyncIterator[list[OrderStore]]:
    stores: list[OrderStore] = [SqliteOrderStore(tmp_path / "orders.sqlite3") for _ in range(2)]
    for store in stores:
        await store.start()
    yield stores
    for store in stores:
        await store.stop()


@pytest.fixture
async def mongo_stores(mongo_uri: str) -> AsyncIterator[list[OrderStore]]:
    database = unique_name("fuzz").replace("-", "_")
    stores = [MongoOrderStore(mongo_uri, database) for _ in range(2)]
    for store in stores:
        await store.start()
    yield list(stores)
    await stores[0]._client.drop_database(database)
    for store in stores:
        await store.stop()


def new_order() -> PaymentOrder:
    return PaymentOrder(
        id=str(uuid.uuid4()),
        debtor_account="DE89370400440532013000",
        creditor_account="GB82WEST12345698765432",
        amount=Decimal("125.50"),
        currency="EUR",
        status=OrderStatus.PENDING,
        created_at=T0,
        updated_at=T0,
        history=(Transition(status=OrderStatus.PENDING, at=T0, reason="order received"),),
    )


async def attempt(
    store: OrderStore, order_id: str, expected: OrderStatus, target: OrderStatus, at: datetime
) -> Outcome:
    try:
        return await transition(store, order_id, expected, target, at, f"{expected}->{target}")
    except IllegalTransition as illegal:
        return illegal


def statuses(order: PaymentOrder) -> list[OrderStatus]:
    return [step.status for step in order.history]


def assert_lifecycle_holds(order: PaymentOrder) -> None:
    path = statuses(order)
    assert path[0] is OrderStatus.PENDING
    for current, following in pairwise(path):
        assert following in ALLOWED_TRANSITIONS[current], path  # so nothing leaves a terminal
    assert order.status is path[-1]
    assert (order.failure_reason is not None) == (order.status is OrderStatus.FAILED)


async def check_random_transitions(
    stores: Sequence[OrderStore], batches: list[list[Attempt]]
) -> None:
    order = new_order()
    await created(stores[0], order)
    clock = count(1)
    for batch in batches:
        before = await stores[0].get(order.id)
        assert before is not None
        outcomes = await asyncio.gather(
            *[
                attempt(
                    stores[i % len(stores)],
                    order.id,
                    expected,
                    target,
                    T0 + timedelta(milliseconds=next(clock)),
                )
                for i, (expected, target) in enumerate(batch)
            ]
        )
        after = await stores[0].get(order.id)
        assert after is not None
        assert after == await stores[-1].get(order.id)  # every writer sees one order
        assert_lifecycle_holds(after)
        won = [outcome for outcome in outcomes if isinstance(outcome, PaymentOrder)]
        assert len(after.history) == len(before.history) + len(won), (batch, statuses(after))
        for (expected, target), outcome in zip(batch, outcomes, strict=True):
            if target not in ALLOWED_TRANSITIONS[expected]:
                assert isinstance(outcome, IllegalTransition), (expected, target, outcome)
            elif isinstance(outcome, PaymentOrder):
                # A win is one step of the stored history, taken from ``expected``.
                path = statuses(outcome)
                assert path == statuses(after)[: len(path)]
                assert path[-2:] == [expected, target]
            elif len(batch) == 1:
                assert outcome is None
                assert before.status is not expected  # lost only to a stale expectation


@bounded(max_examples=200)
@given(batches=batches)
async def test_random_transitions_on_sqlite_keep_the_lifecycle_legal(
    sqlite_stores: list[OrderStore], batches: list[list[Attempt]]
) -> None:
    await check_random_transitions(sqlite_stores, batches)


@pytest.mark.mongo
@bounded(max_examples=25)
@given(batches=batches)
async def test_random_transitions_on_ferretdb_keep_the_lifecycle_legal(
    mongo_stores: list[OrderStore], batches: list[list[Attempt]]
) -> None:
    await check_random_transitions(mongo_stores, batches)
