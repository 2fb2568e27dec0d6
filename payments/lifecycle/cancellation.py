"""Cancelling an order (the ingestion service's): a client takes back an order nothing
has paid yet — PENDING, VALIDATED, ACCEPTED or SCHEDULED — and it ends CANCELLED. An
operator (the principal ``operator:<id>``) may cancel any client's.

The move is a compare-and-set on the order's version, as every change of an order is:
of a cancel and a release (or the advance) racing, one wins. A cancel that loses reads
the order again: still cancellable, it tries again; paid or on its way to be, it is
refused with the order's status (``NotCancellable``, answered 409). An order once
CANCELLED stays so, and cancelling it again answers it again.

Its ``payment.cancelled`` event is owed until marked published (``published``). The
order is noted owing before its move, so a crash between the move and the event leaves
the note, and the recovery sweep publishes the event (a cancel asked again does too).
"""

from __future__ import annotations

from collections.abc import Sequence

from endpoints.exchange import Exchange, utcnow
from payments.domain.messages import PaymentEvent
from payments.domain.model import CANCELLABLE, OrderStatus, PaymentOrder
from payments.domain.rejections import NotCancellable, UnknownOrder
from payments.domain.store import Move, OrderRef, OrderStore, StatusChange
from payments.domain.transitions import moved
from payments.lifecycle.keys import CLIENT_ID, OPERATOR_PREFIX, ORDER_ID, PAYMENT_ORDER
from payments.lifecycle.orders import Clock, mark_events_published

# How often a cancel racing others' moves reads the order again before it gives up (the
# request fails; the client may ask again).
_ROUNDS = 5
_REASON = "cancelled by the client"


class Cancellation:
    def __init__(self, store: OrderStore, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    async def cancel(self, exchange: Exchange) -> None:
        """Cancel the order ``ORDER_ID`` of the client ``CLIENT_ID`` (an operator's: of
        any client): the body and ``PAYMENT_ORDER`` become the order as it is now.
        UnknownOrder for an order the client does not have; NotCancellable for one
        that can no longer be."""
        order_id, client = exchange.properties[ORDER_ID], exchange.headers[CLIENT_ID]
        operator = (
            client.removeprefix(OPERATOR_PREFIX) if client.startswith(OPERATOR_PREFIX) else None
        )
        reason = _REASON if operator is None else f"cancelled by the operator {operator}"
        for _ in range(_ROUNDS):
            order = await self.store.get(order_id, client_id=None if operator else client)
            if order is None:
                raise UnknownOrder(order_id)
            if order.status in CANCELLABLE:
                change = StatusChange(order.status, OrderStatus.CANCELLED, reason)
                move = Move(OrderRef.of(order), [change], self.clock())
                await self.store.owe([order.id], move.at)  # its event, once it is CANCELLED
                (applied,) = await self.store.move_all([move])
                after = moved(order, move) if applied else None
                if after is None:
                    continue  # someone moved it first: read it again
                order = after
            if order.status is not OrderStatus.CANCELLED:
                raise NotCancellable(order.id, order.status)
            exchange.body = exchange.properties[PAYMENT_ORDER] = order
            return
        raise RuntimeError(f"order {order_id} keeps being moved by others; cancel it again")

    @staticmethod
    def event(exchange: Exchange) -> None:
        """The body, a CANCELLED order, becomes its ``payment.cancelled`` event;
        ``ORDER_ID`` its id."""
        order: PaymentOrder = exchange.body
        exchange.properties[ORDER_ID] = order.id
        exchange.body = PaymentEvent.of(order)

    async def published(self, exchanges: Sequence[Exchange]) -> None:
        """These orders' ``payment.cancelled`` events reached their topic: marked, they
        owe nothing any more."""
        await mark_events_published(self.store, self.clock, exchanges)
        await self.store.settle([exchange.properties[ORDER_ID] for exchange in exchanges])
