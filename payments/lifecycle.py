"""The processors that move a payment order through its lifecycle.

Each one is a step of a route (see ``payments.routes``); each store write is a
compare-and-set on the order's current status, so a duplicate, a replay or a
second worker can never move an order backwards or out of a terminal state.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from components.http import FieldError, ProblemError
from components.http.headers import RESPONSE_HEADER_PREFIX
from payments.messages import ExecutePaymentCommand, PaymentEvent, UnreadableMessage, read_message
from payments.model import OrderStatus, PaymentOrder, Transition
from payments.queries import client_of
from payments.request import CreatePaymentOrder
from payments.store import IdempotencyConflict, OrderStore, Step
from routes import headers
from routes.exchange import Exchange, utcnow
from routes.redelivery_policy import NonRetryable

logger = logging.getLogger(__name__)

# Exchange headers of the payment routes.
ORDER_CREATED = "payment.created"
ORDER_ID = "payment.orderId"
PAYMENT_DUE = "payment.due"  # False when only the terminal event is still owed
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
    async def create(self, exchange: Exchange) -> None:
        """Validate the request and persist the order PENDING, as the authenticated
        client's (once per idempotency key of that client)."""
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
        order = PaymentOrder(
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
        try:
            stored, created = await self.store.create(order)
        except IdempotencyConflict as conflict:
            raise ProblemError(
                422,
                f"Idempotency-Key {key!r} was already used with a different request "
                f"(order {conflict.existing.id})",
                title="Idempotency key reused",
                errors=[FieldError("Idempotency-Key", "already used with another request")],
            ) from None
        exchange.body = stored
        exchange.headers[ORDER_CREATED] = created
        exchange.headers[ORDER_ID] = stored.id
        exchange.headers[headers.HTTP_STATUS] = 201 if created else 200
        exchange.headers[RESPONSE_HEADER_PREFIX + "Location"] = f"{ORDERS_PATH}/{stored.id}"

    # -- lifecycle up to the execution command ---------------------------------------------
    async def advance(self, exchange: Exchange) -> None:
        """PENDING → VALIDATED → ACCEPTED → EXECUTING, from wherever the order is now;
        then the body becomes the execution command, keyed by order id."""
        order = await self._current(exchange)
        while steps := steps_from(order.status):
            moved = await self.store.transition_through(order.id, steps, self.clock())
            if len(moved) == len(steps):
                order = moved[-1]
                break
            # Someone else moved it: continue from what is stored.
            order = await self._require(order.id)
        if order.status.terminal:
            exchange.stopped = True
            return
        exchange.body = command_for(order)
        exchange.headers[headers.KAFKA_KEY] = order.id
        exchange.headers[ORDER_ID] = order.id

    async def mark_command_published(self, exchange: Exchange) -> None:
        await self.store.mark_command_published(exchange.headers[ORDER_ID])

    async def mark_event_published(self, exchange: Exchange) -> None:
        await self.store.mark_event_published(exchange.headers[ORDER_ID], self.clock())

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

    async def recover(
        self, send: Send, advance_uri: str, older_than: timedelta, republish: bool
    ) -> int:
        """Finish what a crash interrupted: an order stuck before EXECUTING, or EXECUTING
        without a published command, goes through ``advance_uri`` again. With
        ``republish`` (in-process queues lose commands on a restart) a published one
        does too: executing twice is harmless, the gateway pays each order once."""
        stuck = await self.store.stale(
            [
                OrderStatus.PENDING,
                OrderStatus.VALIDATED,
                OrderStatus.ACCEPTED,
                OrderStatus.EXECUTING,
            ],
            self.clock() - older_than,
            limit=500,
            unpublished=not republish,
        )
        for order in stuck:
            sent = await send(advance_uri, order, {})
            if sent.exception is not None:
                raise sent.exception
        if stuck:
            logger.warning("recovery: resumed %d unfinished payment order(s)", len(stuck))
        return len(stuck)

    # -- execution -----------------------------------------------------------------------
    async def begin_execution(self, exchange: Exchange) -> None:
        """Read the command. For an order already terminal (a duplicate, or a command
        read again after a crash) there is nothing to pay, but maybe its event to
        publish (see ``_owed_event``)."""
        command = read_command(exchange.body)
        # Perhaps a version behind: then the EXECUTED write after the payment is refused
        # and finds the order ended (the bank pays an order id once, whoever asks).
        order = await self.store.peek(command.order_id)
        if order is None:
            raise PoisonCommand(f"no payment order {command.order_id}")
        exchange.headers[ORDER_ID] = order.id
        exchange.headers[PAYMENT_DUE] = not order.status.terminal
        if order.status.terminal:
            await self._owed_event(exchange, order)
        elif order.status is not OrderStatus.EXECUTING:
            raise PoisonCommand(f"order {order.id} is {order.status}, not EXECUTING")
        else:
            exchange.body = command

    async def _owed_event(self, exchange: Exchange, order: PaymentOrder) -> None:
        """The event of a terminal order that this exchange did not end. Published: the
        exchange stops (a duplicate). Not yet: the worker that ended the order may be
        publishing it now (EventInFlight, retried) or may have died first; after
        ``event_grace`` this exchange claims it and the body becomes the event (or,
        for FAILED, it takes the failure path again to publish and dead-letter it)."""
        if order.event_published_at is None and not await self.store.claim_event(
            order.id, self.clock(), self.event_grace
        ):
            # Refused: published since ``order`` was read (a peek may be a version
            # behind the mark), or on its way.
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

    async def complete(self, exchange: Exchange) -> None:
        """EXECUTING → EXECUTED; the body becomes the ``payment.executed`` event."""
        order_id = exchange.headers[ORDER_ID]
        reference = getattr(exchange.body, "reference", None)
        attempts = int(exchange.headers.get(headers.REDELIVERY_COUNTER, 0)) + 1
        done = await self.store.transition(
            order_id,
            OrderStatus.EXECUTING,
            OrderStatus.EXECUTED,
            self.clock(),
            f"paid, gateway reference {reference}",
            attempts=attempts,
            gateway_reference=reference,
        )
        if done is None:  # another worker ended it first, and may die before its event
            await self._owed_event(exchange, await self._require(order_id))
            return
        exchange.body = event_for(done)
        exchange.headers[headers.KAFKA_KEY] = order_id

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
            order = await self.store.transition(
                order.id, order.status, OrderStatus.FAILED, self.clock(), reason, attempts
            )
            if order is None:  # another worker ended it first
                return
        elif not exchange.headers.get(EVENT_CLAIMED):
            return
        record_headers = {
            headers.KAFKA_KEY: order.id,
            headers.CORRELATION_ID: exchange.headers[headers.CORRELATION_ID],
        }
        sent = await send(failed_uri, event_for(order), record_headers)
        if sent.exception is not None:
            raise sent.exception
        await self.store.mark_event_published(order.id, self.clock())


def steps_from(status: OrderStatus) -> Sequence[Step]:
    """The transitions from ``status`` up to EXECUTING (none from EXECUTING on)."""
    path = _ADVANCE[_ADVANCE.index(status) :] if status in _ADVANCE else ()
    return [
        Step(expected, target, _REASONS[target]) for expected, target in itertools.pairwise(path)
    ]


def command_for(order: PaymentOrder) -> ExecutePaymentCommand:
    return ExecutePaymentCommand(
        order_id=order.id,
        debtor_account=order.debtor_account,
        creditor_account=order.creditor_account,
        amount=order.amount,
        currency=order.currency,
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


def read_command(body: object) -> ExecutePaymentCommand:
    """The command from a Kafka record's bytes, a decoded dict, or the model itself; an
    unknown ``schemaVersion`` or an unreadable body is poison."""
    try:
        return read_message(ExecutePaymentCommand, body)
    except UnreadableMessage as error:
        raise PoisonCommand(f"unreadable execution command: {error}") from None
