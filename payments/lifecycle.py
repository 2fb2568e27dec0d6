"""The processors that move a payment order through its lifecycle.

Each one is a step of a route (see ``payments.routes``). The store writes are batch
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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from components.http import FieldError, ProblemError
from components.http.headers import RESPONSE_HEADER_PREFIX
from endpoints import headers
from endpoints.exchange import Exchange, utcnow
from endpoints.redelivery_policy import NonRetryable
from payments.messages import ExecutePaymentCommand, PaymentEvent, UnreadableMessage, read_message
from payments.model import OrderStatus, PaymentOrder, Transition
from payments.queries import client_of
from payments.request import CreatePaymentOrder
from payments.store import IdempotencyConflict, Move, OrderRef, OrderStore, Step
from payments.stores.common import moved, store_time

logger = logging.getLogger(__name__)

# Exchange headers of the payment routes.
ORDER_CREATED = "payment.created"
ORDER_ID = "payment.orderId"
# Exchange properties (they stay with the exchange, never travel with a message).
ORDER_REF = "payment.order"  # the OrderRef a worker ends the order from
PAYMENT_DUE = "payment.due"  # False when only the terminal event is still owed
PAYMENT_CLAIMED = "payment.claimed"  # this command's claim of the payment was the first
ENDED_BY_OTHER = "payment.endedByOther"  # another worker's write ended the order first
EVENT_CLAIMED = "payment.eventClaimed"  # this exchange took over an unpublished event

# The path a client reads an order at.
ORDERS_PATH = "/payment-orders"

Clock = Callable[[], datetime]
Send = Callable[[str, Any, Mapping[str, Any]], Awaitable[Exchange]]

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
        """Validate the request; the body becomes the new PENDING order (not stored yet),
        the authenticated client's."""
        if not isinstance(exchange.body, dict):
            raise ProblemError(400, "the request body must be a JSON object")
        request = CreatePaymentOrder.model_validate(exchange.body)
        problems = request.problems()
        if problems:
            raise ProblemError(422, "the payment order is not valid", errors=problems)
        key = exchange.headers.get("idempotency-key")
        # isprintable: bytes that are not UTF-8 arrive as surrogates, which no store can keep.
        if key is not None and not (1 <= len(key) <= 255 and key.isprintable()):
            raise ProblemError(
                400,
                "the Idempotency-Key header must have 1 to 255 printable characters",
                errors=[FieldError("Idempotency-Key", "must have 1 to 255 printable characters")],
            )
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
            client_id=client_of(exchange),
            idempotency_key=key,
            request_hash=request.fingerprint(),
        )

    async def create_all(self, exchanges: Sequence[Exchange]) -> None:
        """Persist the orders PENDING, once per idempotency key of their client; each
        answers 201 (created) or 200 (the key's order), or fails alone with a 422."""
        results = await self.store.create_all([exchange.body for exchange in exchanges])
        for exchange, result in zip(exchanges, results, strict=True):
            if isinstance(result, IdempotencyConflict):
                key = exchange.headers.get("idempotency-key")
                exchange.exception = ProblemError(
                    422,
                    f"Idempotency-Key {key!r} was already used with a different request "
                    f"(order {result.existing.id})",
                    title="Idempotency key reused",
                    errors=[FieldError("Idempotency-Key", "already used with another request")],
                )
                continue
            stored, created = result
            exchange.body = stored
            exchange.headers[ORDER_CREATED] = created
            exchange.headers[ORDER_ID] = stored.id
            exchange.headers[headers.HTTP_STATUS] = 201 if created else 200
            exchange.headers[RESPONSE_HEADER_PREFIX + "Location"] = f"{ORDERS_PATH}/{stored.id}"

    # -- lifecycle up to the execution command ---------------------------------------------
    async def advance_all(self, exchanges: Sequence[Exchange]) -> None:
        """PENDING → VALIDATED → ACCEPTED → EXECUTING, from wherever each order is now, in
        one write per order; then each body becomes its execution command, keyed by
        order id. An order someone else moved meanwhile is read again and moved on from
        there."""
        orders = await asyncio.gather(*map(self._current, exchanges))
        for _ in range(_ADVANCE_ROUNDS):
            due = [index for index, order in enumerate(orders) if steps_from(order.status)]
            if not due:
                break
            now = self.clock()
            moves = [_advance(orders[index], now) for index in due]
            done = await self.store.move_all(moves)
            for index, move, applied in zip(due, moves, done, strict=True):
                after = moved(orders[index], move) if applied else None
                orders[index] = after or await self._require(move.order_id)
        for exchange, order in zip(exchanges, orders, strict=True):
            exchange.headers[ORDER_ID] = order.id
            if order.status.terminal:
                exchange.stopped = True
            elif steps_from(order.status):
                exchange.exception = LookupError(f"order {order.id} keeps being moved by others")
            else:
                exchange.body = command_for(order)
                exchange.headers[headers.KAFKA_KEY] = order.id

    async def settle_all(self, exchanges: Sequence[Exchange]) -> None:
        """The orders' commands are delivered (or, on in-process queues, executed)."""
        await self.store.settle([exchange.headers[ORDER_ID] for exchange in exchanges])

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

    async def recover(self, send: Send, advance_uri: str, older_than: timedelta) -> int:
        """Finish what a crash interrupted: each order that still owes its command and
        has not changed for ``older_than`` goes through ``advance_uri`` again, all at
        once so that they share the advance's writes. Sending a command twice is
        harmless: the first worker to claim its payment pays it, once."""
        stuck = await self.store.owing(self.clock() - older_than, limit=500)
        sent = await asyncio.gather(*(send(advance_uri, order, {}) for order in stuck))
        failed = [exchange.exception for exchange in sent if exchange.exception is not None]
        if failed:
            raise failed[0]
        if stuck:
            logger.warning("recovery: resumed %d unfinished payment order(s)", len(stuck))
        return len(stuck)

    # -- execution -----------------------------------------------------------------------
    async def begin_execution(self, exchange: Exchange) -> None:
        """Read the command: the body becomes it, with the order's version and the time
        it became EXECUTING. A command from an earlier producer, without them, reads the
        order for them (and pays only an order still EXECUTING)."""
        command = read_command(exchange.body)
        exchange.headers[ORDER_ID] = command.order_id
        exchange.body = command
        ref = _carried_ref(command)
        if ref is None:
            await self._read_before_paying(exchange)
            return
        exchange.properties[ORDER_REF] = ref
        exchange.headers[PAYMENT_DUE] = True

    async def claim_all(self, exchanges: Sequence[Exchange]) -> None:
        """Claim the payment of each order that is due: the first claim of an order pays
        it without reading it (``read_if_claimed_before`` reads the others)."""
        due = [exchange for exchange in exchanges if exchange.headers.get(PAYMENT_DUE)]
        claimed = await self.store.claim_payments([e.headers[ORDER_ID] for e in due])
        for exchange, first in zip(due, claimed, strict=True):
            exchange.headers[PAYMENT_CLAIMED] = first

    async def read_if_claimed_before(self, exchange: Exchange) -> None:
        """A command whose payment someone claimed before (a duplicate, or one read again
        after a crash) reads the order: one still EXECUTING is paid (the bank pays an
        order id once, whoever asks), one that ended is not, though its event may be
        owed (see ``_owed_event``)."""
        if exchange.headers.get(PAYMENT_CLAIMED) is False:  # also when this step is retried
            await self._read_before_paying(exchange)

    async def _read_before_paying(self, exchange: Exchange) -> None:
        order = await self.store.get(exchange.headers[ORDER_ID])
        if order is None:
            raise PoisonCommand(f"no payment order {exchange.headers[ORDER_ID]}")
        exchange.headers[PAYMENT_DUE] = not order.status.terminal
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
        exchange.headers[EVENT_CLAIMED] = True
        if order.status is OrderStatus.FAILED:
            raise ReplayedFailure(f"order {order.id} failed before: {order.failure_reason}")
        logger.warning("order %s: republishing its %s event", order.id, order.status)
        exchange.body = event_for(order)
        exchange.headers[headers.KAFKA_KEY] = order.id

    async def complete_all(self, exchanges: Sequence[Exchange]) -> None:
        """EXECUTING → EXECUTED for each paid order, in one write each; the body becomes
        the ``payment.executed`` event (``after_losing_the_end`` takes the others)."""
        now = self.clock()
        moves = [_execution_done(exchange, now) for exchange in exchanges]
        done = await self.store.move_all(moves)
        for exchange, move, applied in zip(exchanges, moves, done, strict=True):
            exchange.headers[ENDED_BY_OTHER] = not applied
            if applied:
                exchange.body = executed_event(move)
                exchange.headers[headers.KAFKA_KEY] = move.order_id

    async def after_losing_the_end(self, exchange: Exchange) -> None:
        """Another worker ended the order first, and may die before its event: this one
        takes the way of a duplicate (see ``_owed_event``)."""
        if exchange.headers.get(ENDED_BY_OTHER):
            await self._owed_event(exchange, await self._require(exchange.headers[ORDER_ID]))

    async def events_published_all(self, exchanges: Sequence[Exchange]) -> None:
        ids = [exchange.headers[ORDER_ID] for exchange in exchanges]
        await self.store.mark_events_published(ids, self.clock())

    async def fail(self, exchange: Exchange, send: Send, failed_uri: str) -> None:
        """Before the command goes to the dead-letter topic: EXECUTING → FAILED with the
        reason and attempt count, and a ``payment.failed`` event (published again for an
        order whose failure a crash left unpublished)."""
        order_id = exchange.headers.get(ORDER_ID)
        if order_id is None:
            return  # unreadable command: nothing to fail, the dead-letter record says why
        order = await self.store.get(order_id)
        if order is None:
            return
        if not order.status.terminal:
            reason = str(exchange.headers.get(headers.EXCEPTION_MESSAGE) or "execution failed")
            attempts = int(exchange.headers.get(headers.ATTEMPTS, 1))
            step = Step(order.status, OrderStatus.FAILED, reason)
            move = Move(OrderRef.of(order), [step], self.clock(), attempts)
            (applied,) = await self.store.move_all([move])
            failed = moved(order, move) if applied else None
            if failed is None:  # another worker ended it first
                return
            order = failed
        elif not exchange.headers.get(EVENT_CLAIMED):
            return
        record_headers = {
            headers.KAFKA_KEY: order.id,
            headers.CORRELATION_ID: exchange.headers[headers.CORRELATION_ID],
        }
        sent = await send(failed_uri, event_for(order), record_headers)
        if sent.exception is not None:
            raise sent.exception
        await self.store.mark_events_published([order.id], self.clock())


def steps_from(status: OrderStatus) -> Sequence[Step]:
    """The transitions from ``status`` up to EXECUTING (none from EXECUTING on)."""
    path = _ADVANCE[_ADVANCE.index(status) :] if status in _ADVANCE else ()
    return [
        Step(expected, target, _REASONS[target]) for expected, target in itertools.pairwise(path)
    ]


def _advance(order: PaymentOrder, at: datetime) -> Move:
    return Move(OrderRef.of(order), steps_from(order.status), at)


def _execution_done(exchange: Exchange, at: datetime) -> Move:
    reference = getattr(exchange.body, "reference", None)
    attempts = int(exchange.headers.get(headers.REDELIVERY_COUNTER, 0)) + 1
    step = Step(OrderStatus.EXECUTING, OrderStatus.EXECUTED, f"paid, gateway reference {reference}")
    return Move(exchange.properties[ORDER_REF], [step], at, attempts, reference)


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
