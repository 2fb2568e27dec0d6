"""The processor service's processors: an execution command is paid once and its order
ended, and the order's event is owed until it is published.

Each step decides what the command leads to next (``Next``, in the ``NEXT`` property)
and the execute route branches on it: pay, publish an event, or nothing. A command
carries its order's version, so the first claim of the order's payment pays it without
reading the order; a command whose payment someone claimed before (a duplicate, one
read again after a crash), or whose order another worker ended first, reads the order
and decides from what it finds there (``decide``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from endpoints import headers
from endpoints.exchange import Exchange, utcnow
from endpoints.redelivery_policy import NonRetryable
from payments.domain.failures import failure_reason
from payments.domain.messages import (
    ExecutePaymentCommand,
    PaymentEvent,
    UnreadableMessage,
    read_message,
)
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Move, OrderRef, OrderStore, StatusChange
from payments.domain.transitions import moved
from payments.lifecycle.keys import NEXT, ORDER_ID, ORDER_REF, Next
from payments.lifecycle.orders import Clock, mark_events_published, require

logger = logging.getLogger(__name__)


class PoisonCommand(NonRetryable):
    """A command that no retry can make sense of: unreadable, or for no known order."""


class EventInFlight(Exception):
    """The order just ended (or another worker just took over its event) and its event
    is not marked published yet: that worker is probably publishing it now. Retried
    until it is marked, or the claim lapses."""


class Execution:
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

    def begin(self, exchange: Exchange) -> None:
        """Read the command: the body becomes it. One that carries its order (version,
        time it became EXECUTING) goes to ``claim``; one of an earlier producer, without
        them, to ``read``."""
        command = read_command(exchange.body)
        exchange.properties[ORDER_ID] = command.order_id
        exchange.body = command
        ref = _carried_ref(command)
        if ref is None:
            exchange.properties[NEXT] = Next.READ
            return
        exchange.properties[ORDER_REF] = ref
        exchange.properties[NEXT] = Next.CLAIM

    async def claim_all(self, exchanges: Sequence[Exchange]) -> None:
        """Claim the payment of each order to claim: the first claim of an order pays it
        without reading it (``pay``); a later one reads it first (``read``)."""
        due = [exchange for exchange in exchanges if exchange.properties[NEXT] is Next.CLAIM]
        claimed = await self.store.claim_payments([e.properties[ORDER_ID] for e in due])
        for exchange, first in zip(due, claimed, strict=True):
            exchange.properties[NEXT] = Next.PAY if first else Next.READ

    async def decide(self, exchange: Exchange) -> None:
        """For a command to ``read``: read its order and decide. One still EXECUTING is
        paid (``pay``: the bank pays an order id once, whoever asks); one that ended is
        not, and its event is owed or not (``_ended``). A retry of this step after
        EventInFlight reads again."""
        if exchange.properties[NEXT] is not Next.READ:
            return
        order = await self.store.get(exchange.properties[ORDER_ID])
        if order is None:
            raise PoisonCommand(f"no payment order {exchange.properties[ORDER_ID]}")
        if order.status.terminal:
            await self._ended(exchange, order)
        elif order.status is not OrderStatus.EXECUTING:
            raise PoisonCommand(f"order {order.id} is {order.status}, not EXECUTING")
        else:
            exchange.properties[ORDER_REF] = OrderRef.of(order)
            exchange.properties[NEXT] = Next.PAY

    async def _ended(self, exchange: Exchange, order: PaymentOrder) -> None:
        """A terminal order this exchange did not end. Its event published: ``done`` (a
        duplicate). Not yet: the worker that ended the order may be publishing it now
        (EventInFlight, retried) or may have died first; after ``event_grace`` this
        exchange claims it, and the body becomes the event to publish."""
        if order.event_published_at is None and not await self.store.claim_event(
            order.id, self.clock(), self.event_grace
        ):
            # Refused: published since ``order`` was read, or on its way.
            order = await require(self.store, order.id)
            if order.event_published_at is None:
                raise EventInFlight(f"order {order.id} is {order.status}; its event is on its way")
        if order.event_published_at is not None:
            logger.info("order %s is already %s: duplicate command skipped", order.id, order.status)
            exchange.properties[headers.DUPLICATE_MESSAGE] = True
            exchange.properties[NEXT] = Next.DONE
            return
        logger.warning("order %s: republishing its %s event", order.id, order.status)
        exchange.body = PaymentEvent.of(order)
        exchange.properties[NEXT] = _publish(order.status)

    async def complete_all(self, exchanges: Sequence[Exchange]) -> None:
        """EXECUTING → EXECUTED for each paid order, in one write each: its body becomes
        the ``payment.executed`` event to publish. An order another worker ended first
        goes to ``read`` (``decide`` finds out whether its event is owed)."""
        now = self.clock()
        moves = [_execution_done(exchange, now) for exchange in exchanges]
        done = await self.store.move_all(moves)
        for exchange, move, applied in zip(exchanges, moves, done, strict=True):
            if applied:
                exchange.body = PaymentEvent.executed(move)
                exchange.properties[NEXT] = Next.PUBLISH_EXECUTED
            else:
                exchange.properties[NEXT] = Next.READ

    async def events_published_all(self, exchanges: Sequence[Exchange]) -> None:
        """The outbox mark: these orders' events reached their topic."""
        await mark_events_published(self.store, self.clock, exchanges)

    async def settle_all(self, exchanges: Sequence[Exchange]) -> None:
        """The orders ended: a command on an in-process queue, lost with the process,
        owes nothing more."""
        await self.store.settle([exchange.properties[ORDER_ID] for exchange in exchanges])

    async def fail(self, exchange: Exchange) -> None:
        """A dead letter (the command as it arrived, and why it failed): EXECUTING →
        FAILED with the reason in the payment's terms (``payments.domain.failures``) and
        the attempt count; the body becomes its ``payment.failed`` event to publish.
        ``done`` when there is nothing to publish: an unreadable command, no such order,
        or one another worker ended (whose event is that worker's, or a later reader's)."""
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
            failed = moved(order, move) if applied else None
            if failed is not None:
                exchange.properties[ORDER_ID] = failed.id
                exchange.body = PaymentEvent.of(failed)
                exchange.properties[NEXT] = Next.PUBLISH_FAILED
                return
        exchange.properties[NEXT] = Next.DONE


def _publish(status: OrderStatus) -> Next:
    return Next.PUBLISH_EXECUTED if status is OrderStatus.EXECUTED else Next.PUBLISH_FAILED


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


def read_command(body: object) -> ExecutePaymentCommand:
    """The command from a Kafka record's bytes, a decoded dict, or the model itself; an
    unknown ``schemaVersion`` or an unreadable body is poison."""
    try:
        return read_message(ExecutePaymentCommand, body)
    except UnreadableMessage as error:
        raise PoisonCommand(f"unreadable execution command: {error}") from None
