"""The ingestion service's processors: a request becomes a PENDING order, stored before
the API answers, then moved on to EXECUTING in one write, its body the execution
command.

The store writes are batch steps: the orders that reach one together share one store
call, and each order's outcome stays its own. Each write is a compare-and-set on the
order's version, so a duplicate, a replay or a second writer never moves an order
backwards or out of a terminal state.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from endpoints.exchange import Exchange, utcnow
from payments.domain.messages import ExecutePaymentCommand
from payments.domain.model import OrderStatus, PaymentOrder, Transition
from payments.domain.rejections import (
    FieldProblem,
    IdempotencyKeyReused,
    InvalidOrder,
    MalformedRequest,
)
from payments.domain.request import CreatePaymentOrder
from payments.domain.store import IdempotencyConflict, Move, OrderRef, OrderStore, StatusChange
from payments.domain.transitions import moved
from payments.lifecycle.keys import CLIENT_ID, IDEMPOTENCY_KEY, ORDER_CREATED, ORDER_ID
from payments.lifecycle.orders import Clock, require

logger = logging.getLogger(__name__)

# The way an order goes before its execution command is sent.
_ADVANCE = (
    OrderStatus.PENDING,
    OrderStatus.VALIDATED,
    OrderStatus.ACCEPTED,
    OrderStatus.EXECUTING,
)
_REASONS = {
    OrderStatus.PENDING: "order received",
    OrderStatus.VALIDATED: "request validated",
    OrderStatus.ACCEPTED: "accepted for execution",
    OrderStatus.EXECUTING: "execution command issued",
}
# How often an order that others keep moving is read again before its advance gives up
# (the exchange fails; the recovery sweep brings the order back).
_ADVANCE_ROUNDS = 3


class Ingestion:
    def __init__(self, store: OrderStore, clock: Clock = utcnow) -> None:
        self.store = store
        self.clock = clock

    def receive(self, exchange: Exchange) -> None:
        """Validate the request; the body becomes the new PENDING order (not stored yet)
        of the client ``CLIENT_ID`` names."""
        if not isinstance(exchange.body, dict):
            raise MalformedRequest("the request body must be a JSON object")
        request = CreatePaymentOrder.model_validate(exchange.body)
        problems = request.problems()
        if problems:
            raise InvalidOrder("the payment order is not valid", problems)
        key = exchange.headers.get(IDEMPOTENCY_KEY)
        # isprintable: bytes that are not UTF-8 arrive as surrogates, which no store can keep.
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise MalformedRequest(
                "the Idempotency-Key header must have 1 to 255 printable characters",
                [FieldProblem("Idempotency-Key", "must have 1 to 255 printable characters")],
            )
        client = exchange.headers.get(CLIENT_ID)
        if not isinstance(client, str):
            raise RuntimeError(f"no {CLIENT_ID} on the exchange: does the route set it?")
        now = self.clock()
        exchange.body = PaymentOrder(
            id=str(uuid.uuid4()),
            debtor_account=request.debtor_account,
            creditor_account=request.creditor_account,
            amount=request.normalized_amount(),
            currency=request.currency,
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
            history=(
                Transition(
                    status=OrderStatus.PENDING, at=now, reason=_REASONS[OrderStatus.PENDING]
                ),
            ),
            client_id=client,
            idempotency_key=key,
            request_hash=request.fingerprint(),
        )

    async def create_all(self, exchanges: Sequence[Exchange]) -> None:
        """Persist the orders PENDING, once per idempotency key of their client: each
        body becomes its order, created (``ORDER_CREATED``) or the key's earlier one, or
        the exchange fails alone with IdempotencyKeyReused."""
        results = await self.store.create_all([exchange.body for exchange in exchanges])
        for exchange, result in zip(exchanges, results, strict=True):
            if isinstance(result, IdempotencyConflict):
                key = exchange.headers.get(IDEMPOTENCY_KEY)
                exchange.exception = IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was already used with a different request "
                    f"(order {result.existing.id})",
                    [FieldProblem("Idempotency-Key", "already used with another request")],
                )
                continue
            stored, created = result
            exchange.body = stored
            exchange.properties[ORDER_CREATED] = created
            exchange.properties[ORDER_ID] = stored.id

    async def advance_all(self, exchanges: Sequence[Exchange]) -> None:
        """PENDING → VALIDATED → ACCEPTED → EXECUTING, from wherever each order is now, in
        one write per order; then each body becomes its execution command. An order
        someone else moved meanwhile is read again and moved on from there."""
        orders = await asyncio.gather(*map(self._current, exchanges))
        for _ in range(_ADVANCE_ROUNDS):
            due = [index for index, order in enumerate(orders) if changes_from(order.status)]
            if not due:
                break
            now = self.clock()
            moves = [_advance(orders[index], now) for index in due]
            done = await self.store.move_all(moves)
            for index, move, applied in zip(due, moves, done, strict=True):
                after = moved(orders[index], move) if applied else None
                orders[index] = after or await require(self.store, move.order_id)
        for exchange, order in zip(exchanges, orders, strict=True):
            exchange.properties[ORDER_ID] = order.id
            if order.status.terminal:
                exchange.stopped = True
            elif changes_from(order.status):
                exchange.exception = LookupError(f"order {order.id} keeps being moved by others")
            else:
                exchange.body = ExecutePaymentCommand.for_order(order)

    async def settle_all(self, exchanges: Sequence[Exchange]) -> None:
        """The orders' commands are delivered (or, on in-process queues, executed)."""
        await self.store.settle([exchange.properties[ORDER_ID] for exchange in exchanges])

    async def _current(self, exchange: Exchange) -> PaymentOrder:
        """The order as the body carries it (its compare-and-set catches a stale copy),
        or read by id."""
        body = exchange.body
        return body if isinstance(body, PaymentOrder) else await require(self.store, str(body))

    async def unfinished(self, exchange: Exchange, older_than: timedelta) -> None:
        """What a crash interrupted: the body becomes the orders that still owe their
        command and have not changed for ``older_than``, for the advance to finish.
        Sending a command twice is harmless: the first worker to claim its payment pays
        it, once."""
        stuck = await self.store.owing(self.clock() - older_than, limit=500)
        if stuck:
            logger.warning("recovery: resuming %d unfinished payment order(s)", len(stuck))
        exchange.body = stuck


def changes_from(status: OrderStatus) -> Sequence[StatusChange]:
    """The transitions from ``status`` up to EXECUTING (none from EXECUTING on)."""
    path = _ADVANCE[_ADVANCE.index(status) :] if status in _ADVANCE else ()
    return [
        StatusChange(expected, target, _REASONS[target])
        for expected, target in itertools.pairwise(path)
    ]


def _advance(order: PaymentOrder, at: datetime) -> Move:
    return Move(OrderRef.of(order), changes_from(order.status), at)
