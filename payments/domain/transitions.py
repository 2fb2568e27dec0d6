"""The rules of every change of an order, as each store applies them: a move is a run of
legal transitions from the order's version to the next, each appended to its history at
a time cut to the millisecond (what both stores keep, BSON's precision), so an order
reads back exactly as ``moved`` computes it; and when a worker may take over publishing
an ended order's event. The stores import these; they import no store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from payments.domain.model import OrderStatus, PaymentOrder, Transition, check_transition
from payments.domain.store import Move


def store_time(at: datetime) -> datetime:
    """``at`` in UTC, cut to whole milliseconds; a naive time is a programming error."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: the order store needs timezone-aware times")
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)


def transitioned(
    order: PaymentOrder,
    expected: OrderStatus,
    target: OrderStatus,
    at: datetime,
    reason: str | None,
    attempts: int | None,
    gateway_reference: str | None = None,
) -> PaymentOrder | None:
    """The order moved to ``target`` with the step appended to its history; None when it
    is not in ``expected``. The caller checked the transition is legal."""
    if order.status is not expected:
        return None
    at = store_time(at)
    update: dict[str, Any] = {
        "status": target,
        "updated_at": at,
        "history": (*order.history, Transition(status=target, at=at, reason=reason)),
    }
    if attempts is not None:
        update["attempts"] = attempts
    if target is OrderStatus.FAILED:
        update["failure_reason"] = reason
    if gateway_reference is not None:
        update["gateway_reference"] = gateway_reference
    return order.model_copy(update=update)


def moved(order: PaymentOrder, move: Move) -> PaymentOrder | None:
    """The order after ``move``, one version on; None when the order is not at the
    move's version (nor in the status its first step expects)."""
    if order.version != move.order.version:
        return None
    for number, change in enumerate(move.changes, start=1):
        last = number == len(move.changes)
        attempts, reference = (move.attempts, move.gateway_reference) if last else (None, None)
        after = transitioned(
            order, change.expected, change.target, move.at, change.reason, attempts, reference
        )
        if after is None:
            return None
        order = after
    return order.model_copy(update={"version": move.order.version + 1})


def checked(moves: Sequence[Move]) -> Sequence[Move]:
    """``moves``, each change checked to be legal (IllegalTransition), before any is written."""
    for move in moves:
        if not move.changes:
            raise ValueError(f"a move of order {move.order_id} needs at least one status change")
        for change in move.changes:
            check_transition(change.expected, change.target)
    return moves


def claimable(order: PaymentOrder, at: datetime, lease: timedelta) -> bool:
    """Whether the publication of the order's terminal event may be taken over at ``at``:
    not when the event is published, or the order ended or was claimed less than
    ``lease`` ago (that worker may be publishing it now)."""
    if not order.status.terminal or order.event_published_at is not None:
        return False
    last = max(order.updated_at, order.event_claimed_at or order.updated_at)
    return last <= at - lease
