"""A payment order and its lifecycle (the messages about it: ``payments.domain.messages``).

The lifecycle is a state machine: every change is a transition from the current
status to an allowed next one, persisted as a compare-and-set on the status and
appended to the order's history. Terminal states never change again.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# The one client of an API that runs without authentication (no clients configured).
ANONYMOUS_CLIENT = "anonymous"


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    VALIDATED = "VALIDATED"
    ACCEPTED = "ACCEPTED"
    SCHEDULED = "SCHEDULED"  # waits for its execution day
    EXECUTING = "EXECUTING"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"  # by its client before it was paid

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({OrderStatus.EXECUTED, OrderStatus.FAILED, OrderStatus.CANCELLED})
# What a client may still cancel: nothing before EXECUTING is paid.
CANCELLABLE = frozenset(
    {OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.ACCEPTED, OrderStatus.SCHEDULED}
)

ALLOWED_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.VALIDATED, OrderStatus.FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.VALIDATED: frozenset(
        {OrderStatus.ACCEPTED, OrderStatus.FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.ACCEPTED: frozenset(
        {OrderStatus.SCHEDULED, OrderStatus.EXECUTING, OrderStatus.FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SCHEDULED: frozenset(
        {OrderStatus.EXECUTING, OrderStatus.FAILED, OrderStatus.CANCELLED}
    ),
    OrderStatus.EXECUTING: frozenset({OrderStatus.EXECUTED, OrderStatus.FAILED}),
    OrderStatus.EXECUTED: frozenset(),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    def __init__(self, current: OrderStatus, target: OrderStatus) -> None:
        super().__init__(f"no transition from {current} to {target}")
        self.current = current
        self.target = target


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(current, target)


class CamelModel(BaseModel):
    """JSON in camelCase, as the original Spring service spoke it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Transition(CamelModel):
    status: OrderStatus
    at: datetime
    reason: str | None = None


class PaymentOrder(CamelModel):
    id: str
    debtor_account: str
    creditor_account: str
    amount: Decimal
    currency: str
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    history: tuple[Transition, ...] = ()
    # The day the client asked it to be paid on (None: as soon as possible), and the
    # business day it is paid on (``payments.domain.calendar``), which waits SCHEDULED.
    requested_execution_date: date | None = None
    execution_date: date | None = None
    # The client's reference of the payment and the creditor's text, as it sent them
    # (``payments.domain.request``), passed to the bank unchanged.
    end_to_end_id: str | None = None
    remittance_information: str | None = None
    attempts: int = 0
    failure_reason: str | None = None
    gateway_reference: str | None = None  # the bank's reference of an executed payment
    # The API client that created the order: only it sees the order, and its
    # idempotency keys are its own. Orders stored before clients existed are anonymous's.
    client_id: str = Field(default=ANONYMOUS_CLIENT, exclude=True)
    # The idempotency key as the client sent it, and a digest of the request body,
    # so a repeated key with another body can be refused.
    idempotency_key: str | None = Field(default=None, exclude=True)
    request_hash: str | None = Field(default=None, exclude=True)
    # Outbox marks: when the terminal event reached Kafka, and when a worker last took
    # over publishing one left unpublished. (A command owed is the store's own record.)
    event_published_at: datetime | None = Field(default=None, exclude=True)
    event_claimed_at: datetime | None = Field(default=None, exclude=True)
    # How many writes the order has had since its creation (0): each change of it is a
    # compare-and-set on this number (``payments.domain.store.Move``).
    version: int = Field(default=0, exclude=True)
