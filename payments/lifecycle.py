"""The processors that move a payment order through its lifecycle.

Each one is a step of a route (see ``payments.flow``). The store writes are batch
steps: the orders that reach one together share one store call, and each order's
outcome stays its own. Each write is a compare-and-set on the order's version, so a
duplicate, a replay or a second worker can never move an order backwards or out of a
terminal state. The execution command carries the order's version, so a worker pays
and ends an order without reading it first; only a command whose payment someone
claimed before (a duplicate, or one read again after a crash) makes it read the order.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from endpoints import headers
from endpoints.exchange import Exchange, utcnow
from endpoints.redelivery_policy import NonRetryable
from payments.failures import failure_reason
from payments.messages import ExecutePaymentCommand, PaymentEvent, UnreadableMessage, read_message
from payments.model import OrderStatus, PaymentOrder, Transition
from payments.rejections import (
    FieldProblem,
    IdempotencyKeyReused,
    InvalidOrder,
    MalformedRequest,
)
from payments.request import CreatePaymentOrder
from payments.store import IdempotencyConflict, Move, OrderRef, OrderStore, StatusChange
from payments.stores.common import moved, store_time

logger = logging.getLogger(__name__)

# Exchange headers the payment routes read: what the request says.
CLIENT_ID = "payment.clientId"  # whose order it is: set by the route from who asked
IDEMPOTENCY_KEY = "idempotency-key"  # the client's key for the request, if it gave one
# Exchange properties the lifecycle writes: they stay with the exchange and never travel
# with a message, so no request or record can set them.
ORDER_CREATED = "payment.created"  # True: a new order; False: the key's earlier order
ORDER_ID = "payment.orderId"
ORDER_REF = "payment.order"  # the OrderRef a worker ends the order from
PAYMENT_DUE = "payment.due"  # False when only the terminal event is still owed
PAYMENT_CLAIMED = "payment.claimed"  # this command's claim of the payment was the first
ENDED_BY_OTHER = "payment.endedByOther"  # another worker's write ended the order first

Clock = Callable[[], datetime]

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


class PoisonCommand(NonRetryable):
    """A command that no retry can make sense of: unreadable, or for no known order."""


class EventInFlight(Exception):
    """The order just ended (or another worker just took over its event) and its event
    is not marked published yet: that worker is probably publishing it now. Retried
    until it is marked, or the claim lapses."""


class ReplayedFailure(NonRetryable):
    """A command for an order that FAILED, whose failure was never published (a crash
    came between): it takes the failure path again, to publish and dead-letter it."""


class Lifecycle:
    """``event_grace``: how long after an order ended (or its event was claimed) its
    event may still be on its way from a live worker; after that, a command read again
    for it claims and republishes the event (that worker died before publishing)."""

    def __init__(
        self,
        store: OrderStore,
        clock: Clock = utcnow,
        event_grace: timedelta = timedelta(seconds=5),
    ) -> None:
        self.store = store
        self.clock = clock
        self.event_grace = event_grace

    # -- ingestion -----------------------------------------------------------------------
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

    # -- lifecycle up to the execution command ---------------------------------------------
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
                orders[index] = after or await self._require(move.order_id)
        for exchange, order in zip(exchanges, orders, strict=True):
            exchange.properties[ORDER_ID] = order.id
            if order.status.terminal:
                exchange.stopped = True
            elif changes_from(order.status):
                exchange.exception = LookupError(f"order {order.id} keeps being moved by others")
            else:
                exchange.body = command_for(order)

    async def settle_all(self, exchanges: Sequence[Exchange]) -> None:
        """The orders' commands are delivered (or, on in-process queues, executed)."""
        await self.store.settle([exchange.properties[ORDER_ID] for exchange in exchanges])

    async def _current(self, exchange: Exchange) -> PaymentOrder:
        """The order as the body carries it (its compare-and-set catches a stale copy),
        or read by id."""
        body = exchange.body
        return body if isinstance(body, PaymentOrder) else await self._require(str(body))

    async def _require(self, order_id: str) -> PaymentOrder:
        order = await self.store.get(order_id)
        if order is None:
            raise LookupError(f"payment order {order_id} vanished")
        return order

    async def unfinished(self, exchange: Exchange, older_than: timedelta) -> None:
        """What a crash interrupted: the body becomes the orders that still owe their
        command and have not changed for ``older_than``, for the advance to finish.
        Sending a command twice is harmless: the first worker to claim its payment pays
        it, once."""
        stuck = await self.store.owing(self.clock() - older_than, limit=500)
        if stuck:
            logger.warning("recovery: resuming %d unfinished payment order(s)", len(stuck))
        exchange.body = stuck

    # -- execution -----------------------------------------------------------------------
    async def begin_execution(self, exchange: Exchange) -> None:
        """Read the command: the body becomes it, with the order's version and the time
        it became EXECUTING. A command from an earlier producer, without them, reads the
        order for them (and pays only an order still EXECUTING)."""
        command = read_command(exchange.body)
        exchange.properties[ORDER_ID] = command.order_id
        exchange.body = command
        ref = _carried_ref(command)
        if ref is None:
            await self._read_before_paying(exchange)
            return
        exchange.properties[ORDER_REF] = ref
        exchange.properties[PAYMENT_DUE] = True

    async def claim_all(self, exchanges: Sequence[Exchange]) -> None:
        """Claim the payment of each order that is due: the first claim of an order pays
        it without reading it (``read_if_claimed_before`` reads the others)."""
        due = [exchange for exchange in exchanges if exchange.properties.get(PAYMENT_DUE)]
        claimed = await self.store.claim_payments([e.properties[ORDER_ID] for e in due])
        for exchange, first in zip(due, claimed, strict=True):
            exchange.properties[PAYMENT_CLAIMED] = first

    async def read_if_claimed_before(self, exchange: Exchange) -> None:
        """A command whose payment someone claimed before (a duplicate, or one read again
        after a crash) reads the order: one still EXECUTING is paid (the bank pays an
        order id once, whoever asks), one that ended is not, though its event may be
        owed (see ``_owed_event``)."""
        if exchange.properties.get(PAYMENT_CLAIMED) is False:  # also when this step is retried
            await self._read_before_paying(exchange)

    async def _read_before_paying(self, exchange: Exchange) -> None:
        order = await self.store.get(exchange.properties[ORDER_ID])
        if order is None:
            raise PoisonCommand(f"no payment order {exchange.properties[ORDER_ID]}")
        exchange.properties[PAYMENT_DUE] = not order.status.terminal
        if order.status.terminal:
            await self._owed_event(exchange, order)
        elif order.status is not OrderStatus.EXECUTING:
            raise PoisonCommand(f"order {order.id} is {order.status}, not EXECUTING")
        else:
            exchange.properties[ORDER_REF] = OrderRef.of(order)

    async def _owed_event(self, exchange: Exchange, order: PaymentOrder) -> None:
        """The event of a terminal order that this exchange did not end. Published: the
        exchange stops (a duplicate). Not yet: the worker that ended the order may be
        publishing it now (EventInFlight, retried) or may have died first; after
        ``event_grace`` this exchange claims it and the body becomes the event (or,
        for FAILED, it takes the failure path again to publish and dead-letter it)."""
        if order.event_published_at is None and not await self.store.claim_event(
            order.id, self.clock(), self.event_grace
        ):
            # Refused: published since ``order`` was read, or on its way.
            order = await self._require(order.id)
            if order.event_published_at is None:
                raise EventInFlight(f"order {order.id} is {order.status}; its event is on its way")
        if order.event_published_at is not None:
            logger.info("order %s is already %s: duplicate command skipped", order.id, order.status)
            exchange.headers[headers.DUPLICATE_MESSAGE] = True
            exchange.stopped = True
            return
        if order.status is OrderStatus.FAILED:
            raise ReplayedFailure(f"order {order.id} failed before: {order.failure_reason}")
        logger.warning("order %s: republishing its %s event", order.id, order.status)
        exchange.body = event_for(order)

    async def complete_all(self, exchanges: Sequence[Exchange]) -> None:
        """EXECUTING → EXECUTED for each paid order, in one write each; the body becomes
        the ``payment.executed`` event (``after_losing_the_end`` takes the others)."""
        now = self.clock()
        moves = [_execution_done(exchange, now) for exchange in exchanges]
        done = await self.store.move_all(moves)
        for exchange, move, applied in zip(exchanges, moves, done, strict=True):
            exchange.properties[ENDED_BY_OTHER] = not applied
            if applied:
                exchange.body = executed_event(move)

    async def after_losing_the_end(self, exchange: Exchange) -> None:
        """Another worker ended the order first, and may die before its event: this one
        takes the way of a duplicate (see ``_owed_event``)."""
        if exchange.properties.get(ENDED_BY_OTHER):
            await self._owed_event(exchange, await self._require(exchange.properties[ORDER_ID]))

    async def events_published_all(self, exchanges: Sequence[Exchange]) -> None:
        ids = [exchange.properties[ORDER_ID] for exchange in exchanges]
        await self.store.mark_events_published(ids, self.clock())

    async def fail(self, exchange: Exchange) -> None:
        """A dead letter (the command as it arrived, and why it failed): EXECUTING →
        FAILED with the reason in the payment's terms (``payments.failures``) and the
        attempt count, and the body becomes its
        ``payment.failed`` event; also for an order whose failure a crash left
        unpublished (``ReplayedFailure``). Nothing to publish stops the exchange: an
        unreadable command, no such order, or one another worker ended."""
        try:
            order = await self.store.get(read_command(exchange.body).order_id)
        except PoisonCommand:
            order = None
        if order is not None and not order.status.terminal:
            attempts = int(exchange.headers.get(headers.ATTEMPTS, 1))
            reason = failure_reason(exchange.caught_exception, attempts)
            change = StatusChange(order.status, OrderStatus.FAILED, reason)
            move = Move(OrderRef.of(order), [change], self.clock(), attempts)
            (applied,) = await self.store.move_all([move])
            order = moved(order, move) if applied else None  # None: another worker ended it
        elif not isinstance(exchange.caught_exception, ReplayedFailure):
            order = None
        if order is None:
            exchange.stopped = True
            return
        exchange.properties[ORDER_ID] = order.id
        exchange.body = event_for(order)


def changes_from(status: OrderStatus) -> Sequence[StatusChange]:
    """The transitions from ``status`` up to EXECUTING (none from EXECUTING on)."""
    path = _ADVANCE[_ADVANCE.index(status) :] if status in _ADVANCE else ()
    return [
        StatusChange(expected, target, _REASONS[target])
        for expected, target in itertools.pairwise(path)
    ]


def _advance(order: PaymentOrder, at: datetime) -> Move:
    return Move(OrderRef.of(order), changes_from(order.status), at)


def _execution_done(exchange: Exchange, at: datetime) -> Move:
    reference = getattr(exchange.body, "reference", None)
    attempts = int(exchange.headers.get(headers.REDELIVERY_COUNTER, 0)) + 1
    paid = StatusChange(
        OrderStatus.EXECUTING, OrderStatus.EXECUTED, f"paid, gateway reference {reference}"
    )
    return Move(exchange.properties[ORDER_REF], [paid], at, attempts, reference)


def _carried_ref(command: ExecutePaymentCommand) -> OrderRef | None:
    """The order as the command carries it; None for a command of an earlier producer."""
    if (
        command.version is None
        or command.executing_since is None
        or command.client_id is None
        or command.created_at is None
    ):
        return None
    return OrderRef(
        command.order_id,
        command.version,
        command.executing_since,
        command.client_id,
        command.created_at,
    )


def command_for(order: PaymentOrder) -> ExecutePaymentCommand:
    return ExecutePaymentCommand(
        order_id=order.id,
        debtor_account=order.debtor_account,
        creditor_account=order.creditor_account,
        amount=order.amount,
        currency=order.currency,
        version=order.version,
        executing_since=order.updated_at,
        client_id=order.client_id,
        created_at=order.created_at,
    )


def event_for(order: PaymentOrder) -> PaymentEvent:
    """The ``payment.executed`` / ``payment.failed`` event of a terminal order."""
    return PaymentEvent(
        order_id=order.id,
        status=order.status,
        at=order.updated_at,
        reason=order.failure_reason,
        attempts=order.attempts,
        gateway_reference=order.gateway_reference,
    )


def executed_event(move: Move) -> PaymentEvent:
    """The ``payment.executed`` event of the move that ended an order EXECUTED."""
    return PaymentEvent(
        order_id=move.order_id,
        status=OrderStatus.EXECUTED,
        at=store_time(move.at),
        attempts=move.attempts or 0,
        gateway_reference=move.gateway_reference,
    )


def read_command(body: object) -> ExecutePaymentCommand:
    """The command from a Kafka record's bytes, a decoded dict, or the model itself; an
    unknown ``schemaVersion`` or an unreadable body is poison."""
    try:
        return read_message(ExecutePaymentCommand, body)
    except UnreadableMessage as error:
        raise PoisonCommand(f"unreadable execution command: {error}") from None
