"""Store calls as the lifecycle makes them, one order at a time, for tests that set
orders up or race on them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from payments.domain.model import OrderStatus, PaymentOrder, Transition, check_transition
from payments.domain.store import IdempotencyConflict, Move, OrderRef, OrderStore, StatusChange
from payments.domain.transitions import moved
from payments.stores import MongoOrderStore
from payments.stores.mongo_summary import GRACE

PENDING, VALIDATED, ACCEPTED = OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.ACCEPTED
EXECUTING = OrderStatus.EXECUTING
T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def new_order(
    *,
    at: datetime = T0,
    key: str | None = None,
    request_hash: str = "hash-1",
    amount: Decimal = Decimal("1234.50"),
    client: str = "shop-a",
) -> PaymentOrder:
    return PaymentOrder(
        id=str(uuid.uuid4()),
        debtor_account="DE89370400440532013000",
        creditor_account="FR1420041010050500013M02606",
        amount=amount,
        currency="EUR",
        status=PENDING,
        created_at=at,
        updated_at=at,
        history=(Transition(status=PENDING, at=at, reason="order received"),),
        client_id=client,
        idempotency_key=key,
        request_hash=request_hash,
    )


async def create(store: OrderStore, order: PaymentOrder) -> tuple[PaymentOrder, bool]:
    """One order through ``create_all``; a conflict raises."""
    (result,) = await store.create_all([order])
    if isinstance(result, IdempotencyConflict):
        raise result
    return result


async def created(store: OrderStore, order: PaymentOrder) -> PaymentOrder:
    stored, is_new = await create(store, order)
    assert is_new
    return stored


async def transition(
    store: OrderStore,
    order_id: str,
    expected: OrderStatus,
    target: OrderStatus,
    at: datetime,
    reason: str | None = None,
    attempts: int | None = None,
    gateway_reference: str | None = None,
) -> PaymentOrder | None:
    """One transition as the lifecycle makes it: a move from the order as read now; the
    order after it, or None when the order was elsewhere or someone moved it first."""
    check_transition(expected, target)
    order = await store.get(order_id)
    if order is None or order.status is not expected:
        return None
    step = StatusChange(expected, target, reason)
    move = Move(OrderRef.of(order), [step], at, attempts, gateway_reference)
    (applied,) = await store.move_all([move])
    return moved(order, move) if applied else None


THROUGH = [
    StatusChange(PENDING, VALIDATED, "validated"),
    StatusChange(VALIDATED, ACCEPTED, "accepted"),
    StatusChange(ACCEPTED, EXECUTING, "command issued"),
]


def through(order: PaymentOrder, at: datetime = T0) -> Move:
    """The move ingestion makes of a new order: the three steps up to EXECUTING at once."""
    return Move(OrderRef.of(order), THROUGH, at)


async def executing(store: OrderStore, order: PaymentOrder) -> PaymentOrder:
    """``order`` created and moved on to EXECUTING, as ingestion leaves it."""
    order = await created(store, order)
    assert await store.move_all([through(order)]) == [True]
    after = moved(order, through(order))
    assert after is not None
    return after


class SteppedClock:
    """The wall clock, put forward by the steps taken: stores stamp their writes with it,
    so a test can let a grace pass at once."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


def later(store: OrderStore, step: timedelta) -> None:
    """The store's clock put ``step`` forward, where it stamps its writes (MongoDB's)."""
    if isinstance(store, MongoOrderStore):
        assert isinstance(store.clock, SteppedClock)
        store.clock.ahead += step


async def folded(store: OrderStore) -> None:
    """Every write so far folded into the store's summaries, as ``summarise`` folds them
    once they are older than its grace: here the store's clock steps past the grace."""
    later(store, GRACE + timedelta(seconds=2))
    await store.summarise()
