"""The order store contract: what the lifecycle needs from a database, in batches.

Every write takes many orders at once (``create_all``, ``move_all``, ``settle``,
``mark_events_published``), so that the lifecycle's batch steps pay one round trip
for a group of orders; each order's outcome in a batch is its own (its idempotency
key taken, its compare-and-set lost) and never the others'. A change of an order is
a compare-and-set on its ``version``, which each write of it increments: of the
writers that read version n, one writes n + 1 and the others learn they lost. No
write spans two documents as one (FerretDB has no multi-document transactions):
``MongoOrderStore`` makes every change an insert under a unique ``_id``, the one
write FerretDB makes atomic; ``SqliteOrderStore`` one SQLite transaction per batch.
One contract suite tests both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from payments.domain.model import OrderStatus, PaymentOrder


class StoreUnavailable(Exception):
    """The store cannot be reached now; the caller may answer 503 and try later."""


class OrderIdTaken(ValueError):
    """An order with this id exists already (ids are generated: a bug, not a client error)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order id {order_id} is taken")
        self.order_id = order_id


class IdempotencyConflict(Exception):
    """The idempotency key was used before with a different request."""

    def __init__(self, existing: PaymentOrder) -> None:
        super().__init__(f"idempotency key already used for order {existing.id}")
        self.existing = existing


@dataclass(frozen=True)
class StatusChange:
    """One transition of a run that a ``Move`` makes at once."""

    expected: OrderStatus
    target: OrderStatus
    reason: str | None = None


@dataclass(frozen=True)
class OrderRef:
    """An order as a writer knows it without reading it: the version it is at and since
    when it has been in its status, and whose it is and since when (for the summaries
    a store keeps of its orders)."""

    order_id: str
    version: int
    since: datetime
    client_id: str
    created_at: datetime

    @classmethod
    def of(cls, order: PaymentOrder) -> OrderRef:
        return cls(order.id, order.version, order.updated_at, order.client_id, order.created_at)


@dataclass(frozen=True)
class Move:
    """A run of transitions of one order, written at once: from its version (in the
    status ``changes[0].expected``) to the next. ``attempts`` and ``gateway_reference``
    go on the order with the last change."""

    order: OrderRef
    changes: Sequence[StatusChange]
    at: datetime
    attempts: int | None = None
    gateway_reference: str | None = None

    @property
    def order_id(self) -> str:
        return self.order.order_id


# What ``create_all`` answers for each order: the stored order and whether this call
# created it (False: its idempotency key's first order, with the same request), or
# the conflict of a key used before with another request.
Created = tuple[PaymentOrder, bool] | IdempotencyConflict


class OrderStore(Protocol):
    async def start(self) -> None:
        """Connect and create what the store needs (indexes, tables)."""

    async def stop(self) -> None: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers now."""

    async def create_all(self, orders: Sequence[PaymentOrder]) -> Sequence[Created]:
        """Insert PENDING orders at version 0, each one's outcome in its place. An order
        whose client used its idempotency key before gets that key's order back, or an
        IdempotencyConflict when the request hashes differ; another client's key never
        matches; enforced by a unique index, never by read-then-write. Each new order
        owes its execution command until ``settle``."""

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        """The order as its newest version has it; with ``client_id``, only if that
        client created it (None otherwise, exactly as for an unknown id)."""

    async def move_all(self, moves: Sequence[Move]) -> Sequence[bool]:
        """Each move as one write of its order, each one's outcome in its place: True,
        or False when the order is no longer at the move's version (someone else moved
        it: a stale or duplicate update). An illegal step raises IllegalTransition
        before anything is written."""

    async def claim_payments(self, order_ids: Sequence[str]) -> Sequence[bool]:
        """Take the payment of each order, each one's outcome in its place: True for the
        first claim of an order, so its command is paid without reading the order;
        False once someone claimed it (a duplicate command, or one read again after a
        crash), so the caller reads the order first and pays only one not yet ended."""

    async def settle(self, order_ids: Sequence[str]) -> None:
        """The orders' execution commands were delivered (a Kafka record), or their
        orders ended (commands on in-process queues are lost with the process): they
        owe nothing any more, and ``owing`` leaves them out."""

    async def owe(self, order_ids: Sequence[str], at: datetime) -> None:
        """Note these orders as owing a message again (a second note of an order changes
        nothing): before the move that makes them owe it, so that a crash after the
        move leaves a note that ``owing`` finds: a released order's execution command,
        a cancelled one's ``payment.cancelled`` event."""

    async def owing(self, before: datetime, limit: int) -> Sequence[PaymentOrder]:
        """Orders that still owe a message and were last changed before ``before``,
        oldest first: for the recovery sweep, which finishes what a crash interrupted.
        An order owes its execution command until it ends, a CANCELLED one its event
        until that is marked published (``owes_message``); one that owes nothing any
        more is settled here and left out."""

    async def schedule(self, due: Mapping[str, date]) -> None:
        """Note these orders due on these days (a second note of an order changes
        nothing): before their move to SCHEDULED, so that a crash between the two leaves
        a note that ``due`` finds, never a SCHEDULED order nothing finds."""

    async def due(self, day: date, limit: int) -> Sequence[PaymentOrder]:
        """Up to ``limit`` orders noted due on or before ``day``, earliest day first:
        SCHEDULED ones to release, and any whose release a crash interrupted before its
        note went (``unschedule``). The note of an order that ended is dropped
        here and the order left out. Served by an index: the cost does not grow with
        the orders due later."""

    async def unschedule(self, order_ids: Sequence[str]) -> None:
        """These orders left SCHEDULED (they owe their command instead, ``owe``): their
        notes go."""

    async def mark_events_published(self, order_ids: Sequence[str], at: datetime) -> None:
        """Outbox mark: the terminal events of these orders reached the broker (the
        first time stays)."""

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        """Take over publishing the terminal event of an order whose worker may have died
        before publishing it: True unless the event is published, or the order ended or
        was claimed less than ``lease`` before ``at``. One claimer wins a race."""

    async def list(
        self,
        status: OrderStatus | None,
        limit: int,
        after: str | None,
        *,
        client_id: str | None = None,
    ) -> Sequence[PaymentOrder]:
        """Newest first; ``after`` is the id of the last order of the previous page. With
        ``client_id``, only that client's orders (and only its orders as ``after``). A
        terminal status lists its orders by when they reached it. ``MongoOrderStore``
        orders by the second a write put an order on its list, then by creation time: two
        orders written a few milliseconds apart across a second's edge may come in the
        order they were written. Each costs the same however many orders there are,
        but a status before EXECUTING, whose orders are found on the client's list."""

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        """How many orders are in each status now (a status with none is absent); for
        dashboards and gauges, so an order changing meanwhile may count in its old one.
        Kept as the orders move, so the cost does not grow with the number of orders."""

    async def summarise(self) -> None:
        """Fold what the store noted of its recent writes into the summaries its listings
        and counts read, so that reading them costs the same however many orders there
        are (MongoDB); nothing to do where indexes serve them (SQLite). The ingestion
        service calls it every second."""


def owes_message(order: PaymentOrder) -> bool:
    """Whether an order noted owing (``owing``) still owes the broker something: its
    execution command, unless it ended; its ``payment.cancelled`` event, if it ended
    CANCELLED and that is not marked published."""
    if order.status is OrderStatus.CANCELLED:
        return order.event_published_at is None
    return not order.status.terminal
