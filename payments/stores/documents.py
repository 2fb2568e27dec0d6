"""What both order stores share: the stored document (the rules of every change are the
domain's, ``payments.domain.transitions``).

A stored order is the API's camelCase JSON plus the fields the API hides (client,
idempotency key, request hash, event outbox marks, version). An order owes its
execution command from its creation until the command is settled (``OrderStore.settle``):
each store records that debt beside the order, never on it, so settling it does not
contend with the worker ending the order. An idempotency key is the client's own: each
store keeps it unique as ``scoped_key`` (client id and key in one value, so one unique
index on one field refuses a repeat and leaves orders without a key alone). Both
stores keep times to the millisecond (``store_time``), so an order reads back
exactly as ``create_all`` returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

from payments.domain.model import PaymentOrder
from payments.domain.store import Created, IdempotencyConflict
from payments.domain.transitions import store_time

Change = Callable[[PaymentOrder], PaymentOrder | None]
_OUTBOX_TIMES = ("event_published_at", "event_claimed_at")
_DAYS = ("requestedExecutionDate", "executionDate")


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
    document = stored.model_dump(mode=mode, by_alias=True, exclude_none=True)
    for name in _DAYS:  # BSON has no date without a time: the ISO text, as in JSON
        if isinstance(day := document.get(name), date):
            document[name] = day.isoformat()
    return document


def from_document(document: dict[str, Any]) -> PaymentOrder:
    return PaymentOrder.model_validate(document)


def scoped_key(order: PaymentOrder) -> str | None:
    """``<client id>:<idempotency key>``, unique per store; None without a key. Client
    ids never hold a colon (see ``payments.api.clients``), so no two pairs give one value."""
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
