"""The order store contract: what the lifecycle needs from a database.

No write spans two documents (FerretDB has no multi-document transactions). On
FerretDB 1.24 only an insert under a unique index is atomic (its updates are a read
and a separate write), so ``MongoOrderStore`` makes every change an insert of the
order's next version; ``SqliteOrderStore`` uses one SQLite transaction per change.
One contract suite tests both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from payments.model import OrderStatus, PaymentOrder


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
class Step:
    """One transition of a run that ``OrderStore.transition_through`` makes at once."""

    expected: OrderStatus
    target: OrderStatus
    reason: str | None = None


class OrderStore(Protocol):
    async def start(self) -> None:
        """Connect and create indexes (unique client + idempotency key, status + createdAt,
        client + createdAt)."""

    async def stop(self) -> None: ...

    async def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers now."""

    async def create(self, order: PaymentOrder) -> tuple[PaymentOrder, bool]:
        """Insert a PENDING order. With an idempotency key its client already used,
        return the order that holds it and False when its request hash matches, else
        raise IdempotencyConflict; another client's key never matches. Enforced by a
        unique index, never by read-then-write."""

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        """The order; with ``client_id``, only if that client created it (None otherwise,
        exactly as for an unknown id)."""

    async def peek(self, order_id: str) -> PaymentOrder | None:
        """The order as cheaply as the store reads it, perhaps a version behind
        (``MongoOrderStore`` reads its query document without probing for a later
        version, such as an event's outbox mark): for a decision that the
        compare-and-set of the next write checks again, such as a worker's whether to
        execute a command."""

    async def transition(
        self,
        order_id: str,
        expected: OrderStatus,
        target: OrderStatus,
        at: datetime,
        reason: str | None = None,
        attempts: int | None = None,
        gateway_reference: str | None = None,
    ) -> PaymentOrder | None:
        """Move the order from ``expected`` to ``target`` and append the transition to
        its history, atomically; None when the order is not in ``expected`` (a stale or
        duplicate update). An illegal transition raises IllegalTransition unwritten."""

    async def transition_through(
        self, order_id: str, steps: Sequence[Step], at: datetime
    ) -> Sequence[PaymentOrder]:
        """The steps one after the other, each a ``transition`` of its own (its own
        compare-and-set and history entry), stopping at the first the order is not in
        the expected status for; the order after each step done. For transitions that
        follow each other at once: a store may keep its query view (``list``, ``stale``,
        ``count_by_status``) up to date once, after the last. Any illegal step raises
        IllegalTransition before anything is written."""

    async def mark_command_published(self, order_id: str) -> None:
        """Outbox mark: the execution command reached the broker. An order owes its
        command from its transition to EXECUTING until this mark (``stale`` with
        ``unpublished``); the mark is kept off the order itself, so publishing never
        races the worker that is already ending the order."""

    async def mark_event_published(self, order_id: str, at: datetime) -> None:
        """Outbox mark: the terminal event reached the broker (the first time stays)."""

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
        ``client_id``, only that client's orders (and only its orders as ``after``)."""

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        """How many orders are in each status now (a status with none is absent); for
        dashboards and gauges, so an order changing meanwhile may count in its old one."""

    async def stale(
        self,
        statuses: Sequence[OrderStatus],
        updated_before: datetime,
        limit: int,
        *,
        unpublished: bool = False,
    ) -> Sequence[PaymentOrder]:
        """Orders in ``statuses`` last updated before ``updated_before``, oldest first;
        with ``unpublished``, an EXECUTING order only while it owes its command (the
        recovery sweep decides what to do with each)."""
