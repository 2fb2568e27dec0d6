"""What both order stores share: the stored document and the rules of every change.

A stored order is the API's camelCase JSON plus the fields the API hides (client,
idempotency key, request hash, event outbox marks, version). An order owes its
execution command from its creation until the command is settled (``OrderStore.settle``):
each store records that debt beside the order, never on it, so settling it does not
contend with the worker ending the order. An idempotency key is the client's own: each
store keeps it unique as ``scoped_key`` (client id and key in one value, so one unique
index on one field refuses a repeat and leaves orders without a key alone). Both
stores keep times to the millisecond (BSON's precision), so an order reads back
exactly as ``create_all`` returns it and as ``moved`` computes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from payments.model import OrderStatus, PaymentOrder, Transition, check_transition
from payments.store import Created, IdempotencyConflict, Move

Change = Callable[[PaymentOrder], PaymentOrder | None]
_OUTBOX_TIMES = ("event_published_at", "event_claimed_at")


class _StoredOrder(PaymentOrder):
    """The order with the fields the API hides made visible again, for the database."""

    client_id: str
    idempotency_key: str | None = None
    request_hash: str | None = None
    event_published_at: datetime | None = None
    event_claimed_at: datetime | None = None
    version: int = 0


_FIELDS = tuple(PaymentOrder.model_fields)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def store_time(at: datetime) -> datetime:
    """``at`` in UTC, cut to whole milliseconds; a naive time is a programming error."""
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r}: the order store needs timezone-aware times")
    at = at.astimezone(UTC)
    return at.replace(microsecond=at.microsecond - at.microsecond % 1000)


def storable(order: PaymentOrder) -> PaymentOrder:
    """The order as the store will give it back: its times cut to milliseconds."""
    return order.model_copy(
        update={
            "created_at": store_time(order.created_at),
            "updated_at": store_time(order.updated_at),
            "history": tuple(
                step.model_copy(update={"at": store_time(step.at)}) for step in order.history
            ),
            **{
                mark: store_time(at)
                for mark in _OUTBOX_TIMES
                if (at := getattr(order, mark)) is not None
            },
        }
    )


def to_document(order: PaymentOrder, mode: Literal["python", "json"]) -> dict[str, Any]:
    """camelCase fields without the unset ones (an absent key is what a sparse index skips).
    The order is valid already: constructing its stored twin unvalidated is a third of
    the cost of validating it again, on the path of every write."""
    stored = _StoredOrder.model_construct(**{name: getattr(order, name) for name in _FIELDS})
    return stored.model_dump(mode=mode, by_alias=True, exclude_none=True)


def from_document(document: dict[str, Any]) -> PaymentOrder:
    return PaymentOrder.model_validate(document)


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


def scoped_key(order: PaymentOrder) -> str | None:
    """``<client id>:<idempotency key>``, unique per store; None without a key. Client
    ids never hold a colon (see ``payments.clients``), so no two pairs give one value."""
    if order.idempotency_key is None:
        return None
    if ":" in order.client_id:
        raise ValueError(f"client id {order.client_id!r} must not contain ':'")
    return f"{order.client_id}:{order.idempotency_key}"


def page_size(limit: int) -> int:
    """``limit``, checked: a database reads a limit of 0 as "no limit" or as "nothing"."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    return limit


def replay(order: PaymentOrder, holder: PaymentOrder) -> Created:
    """The answer to a create whose idempotency key ``holder`` already took."""
    if holder.request_hash != order.request_hash:
        return IdempotencyConflict(holder)
    return holder, False
