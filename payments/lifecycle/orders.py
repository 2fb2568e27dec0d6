"""What both services' processors need of the store beyond their own writes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from endpoints.exchange import Exchange
from payments.domain.model import PaymentOrder
from payments.domain.store import OrderStore
from payments.lifecycle.keys import ORDER_ID

Clock = Callable[[], datetime]


async def require(store: OrderStore, order_id: str) -> PaymentOrder:
    """The order, which must exist (it was read or written a moment ago)."""
    order = await store.get(order_id)
    if order is None:
        raise LookupError(f"payment order {order_id} vanished")
    return order


async def mark_events_published(
    store: OrderStore, clock: Clock, exchanges: Sequence[Exchange]
) -> None:
    """The outbox mark: these orders' terminal events reached their topic."""
    await store.mark_events_published([e.properties[ORDER_ID] for e in exchanges], clock())
