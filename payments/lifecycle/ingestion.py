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
from datetime import date, datetime, timedelta

from endpoints.exchange import Exchange, utcnow
from payments.domain.calendar import ExecutionDateRefused, ExecutionRules
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

# The ways an order goes before its execution command is sent: at once, or to wait
# SCHEDULED for its execution day, and from there once the day came.
_ADVANCE = (
    OrderStatus.PENDING,
    OrderStatus.VALIDATED,
    OrderStatus.ACCEPTED,
    OrderStatus.EXECUTING,
)
_TO_SCHEDULED = (*_ADVANCE[:-1], OrderStatus.SCHEDULED)
_RELEASE = (OrderStatus.SCHEDULED, OrderStatus.EXECUTING)
_REASONS = {
    OrderStatus.PENDING: "order received",
    OrderStatus.VALIDATED: "request validated",
    OrderStatus.ACCEPTED: "accepted for execution",
    OrderStatus.EXECUTING: "execution command issued",
}
# How many due orders a release takes at once (a page, then the next while they come
# full): what a release holds in memory, however many orders are due.
RELEASE_PAGE = 500
# How often an order that others keep moving is read again before its advance gives up
# (the exchange fails; the recovery sweep brings the order back).
_ADVANCE_ROUNDS = 3


class Ingestion:
    """``rules``: on which day an order for a day is paid (``payments.domain.calendar``)."""

    def __init__(
        self, store: OrderStore, clock: Clock = utcnow, rules: ExecutionRules | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.rules = rules or ExecutionRules()

    def receive(self, exchange: Exchange) -> None:
        """Validate the request; the body becomes the new PENDING order (not stored yet)
        of the client ``CLIENT_ID`` names."""
        if not isinstance(exchange.body, dict):
            raise MalformedRequest("the request body must be a JSON object")
        request = CreatePaymentOrder.model_validate(exchange.body)
        problems = request.problems()
        now = self.clock()
        requested, execution = request.requested_execution_date, None
        if requested is not None:  # else it is paid at once
            try:
                execution = self.rules.execution_day(requested, now)
            except ExecutionDateRefused as refused:
                problems.append(FieldProblem("requestedExecutionDate", str(refused), "DT01"))
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
        received = _REASONS[OrderStatus.PENDING]
        if execution is not None:
            received += f", to be paid on {execution.day}"
            if execution.reason is not None:
                received += f" ({execution.reason})"
        exchange.body = PaymentOrder(
            id=str(uuid.uuid4()),
            debtor_account=request.debtor_account,
            creditor_account=request.creditor_account,
            amount=request.normalized_amount(),
            currency=request.currency,
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
            history=(Transition(status=OrderStatus.PENDING, at=now, reason=received),),
            requested_execution_date=requested,
            execution_date=execution.day if execution is not None else None,
            end_to_end_id=request.end_to_end_id,
            remittance_information=request.remittance_information,
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
        one write per order; then each body becomes its execution command. An order for
        a later day goes to SCHEDULED instead, noted due on its day first
        (``OrderStore.schedule``); it owes no command until ``release_due`` brings it
        back, and its exchange stops here. Released, it owes its command again (noted
        before the move, as a new order's is) and its note goes. An order someone else
        moved meanwhile is read again and moved on from there."""
        orders = await asyncio.gather(*map(self._current, exchanges))
        for _ in range(_ADVANCE_ROUNDS):
            now = self.clock()
            today = self.rules.today(now)
            due = [index for index, order in enumerate(orders) if changes_for(order, today)]
            if not due:
                break
            moves = [_advance(orders[index], now, today) for index in due]
            waiting = {
                move.order_id: day
                for index, move in zip(due, moves, strict=True)
                if move.changes[-1].target is OrderStatus.SCHEDULED
                and (day := orders[index].execution_date) is not None
            }
            if waiting:  # noted before the move, so that a crash leaves a note
                await self.store.schedule(waiting)
            releasing = [
                move.order_id for move in moves if move.changes[0].expected is OrderStatus.SCHEDULED
            ]
            if releasing:  # likewise: owed before it leaves SCHEDULED
                await self.store.owe(releasing, now)
            done = await self.store.move_all(moves)
            for index, move, applied in zip(due, moves, done, strict=True):
                after = moved(orders[index], move) if applied else None
                orders[index] = after or await require(self.store, move.order_id)
        today = self.rules.today(self.clock())
        sendable = [not order.status.terminal and not changes_for(order, today) for order in orders]
        noted = [o.id for o, ok in zip(orders, sendable, strict=True) if ok and _waits(o)]
        if noted:  # their due notes stand for them now
            await self.store.settle(noted)
        released = [
            order.id
            for order, ok in zip(orders, sendable, strict=True)
            if ok and not _waits(order) and _was_scheduled(order)
        ]
        if released:  # what they owe stands for them now
            await self.store.unschedule(released)
        # The bodies change last: a write above that fails leaves each exchange as it
        # came, for its redelivery to run this again.
        for exchange, order, ok in zip(exchanges, orders, sendable, strict=True):
            exchange.properties[ORDER_ID] = order.id
            if order.status.terminal:
                exchange.stopped = True
            elif not ok:
                exchange.exception = LookupError(f"order {order.id} keeps being moved by others")
            elif _waits(order):
                exchange.stopped = True
            else:
                exchange.body = ExecutePaymentCommand.for_order(order)

    async def settle_all(self, exchanges: Sequence[Exchange]) -> None:
        """The orders' commands are delivered."""
        await self.store.settle([exchange.properties[ORDER_ID] for exchange in exchanges])

    async def release_due(self, exchange: Exchange) -> None:
        """The body becomes a page of the orders due today (up to ``RELEASE_PAGE``,
        earliest day first): the SCHEDULED ones, and any whose release a crash
        interrupted, for the advance to send their commands. Released, they leave the
        next page."""
        exchange.body = await self.store.due(self.rules.today(self.clock()), RELEASE_PAGE)

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


def changes_for(order: PaymentOrder, today: date) -> Sequence[StatusChange]:
    """The transitions the order makes next: up to EXECUTING, or to SCHEDULED for an
    order whose execution day is after ``today`` (none while it waits, none from
    EXECUTING on)."""
    waits = order.execution_date is not None and order.execution_date > today
    path: tuple[OrderStatus, ...]
    if order.status is OrderStatus.SCHEDULED:
        path = () if waits else _RELEASE
    else:
        path = _TO_SCHEDULED if waits else _ADVANCE
    path = path[path.index(order.status) :] if order.status in path else ()
    return [
        StatusChange(expected, target, _reason(target, order))
        for expected, target in itertools.pairwise(path)
    ]


def _waits(order: PaymentOrder) -> bool:
    return order.status is OrderStatus.SCHEDULED


def _was_scheduled(order: PaymentOrder) -> bool:
    """An order for a day, released: its due note may still be there."""
    return order.execution_date is not None and any(
        step.status is OrderStatus.SCHEDULED for step in order.history
    )


def _reason(status: OrderStatus, order: PaymentOrder) -> str:
    if status is OrderStatus.SCHEDULED:
        return f"scheduled for {order.execution_date}"
    return _REASONS[status]


def _advance(order: PaymentOrder, at: datetime, today: date) -> Move:
    return Move(OrderRef.of(order), changes_for(order, today), at)
