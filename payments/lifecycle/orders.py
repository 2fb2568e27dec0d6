"""What both services' processors need of the store beyond their own writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from payments.domain.model import PaymentOrder
from payments.domain.store import OrderStore

Clock = Callable[[], datetime]


async def require(store: OrderStore, order_id: str) -> PaymentOrder:
    """The order, which must exist (it was read or written a moment ago)."""
    order = await store.get(order_id)
    if order is None:
        raise LookupError(f"payment order {order_id} vanished")
    return order
