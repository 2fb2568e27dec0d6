"""Why the payment domain refuses a request, in its own words. The API's routes
answer each refusal as an RFC 9457 problem (``payments.api.answers``); the domain knows no
status codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One field at fault: ``field`` as the client named it (``creditorAccount``,
    ``Idempotency-Key``), ``detail`` what is wrong with it, and ``reason`` the ISO 20022
    status reason code of it where the rule knows one (a pain.002 reports it)."""

    field: str
    detail: str
    reason: str | None = None


class Rejected(Exception):
    """A request that cannot become a payment order; ``problems`` name its bad fields."""

    title = ""

    def __init__(self, detail: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = tuple(problems)


class MalformedRequest(Rejected):
    """Not even the shape of a payment order request (a body that is no object, an
    Idempotency-Key no store can keep)."""


class InvalidOrder(Rejected):
    """Well formed, but no payment that can be made: its amount, currency or accounts."""


class IdempotencyKeyReused(Rejected):
    """The client's idempotency key names an order placed with another request."""

    title = "Idempotency key reused"


class NotCancellable(Rejected):
    """The order is paid, or being paid, or ended otherwise: it can no longer be
    cancelled. ``status``: what it is now."""

    title = "Not cancellable"

    def __init__(self, order_id: str, status: str) -> None:
        super().__init__(f"payment order {order_id} is {status}: it can no longer be cancelled")
        self.status = status


class UnknownOrder(Rejected):
    """No order of this id that the client may see (another client's answers the same)."""

    title = "Unknown payment order"

    def __init__(self, order_id: str) -> None:
        super().__init__(f"no payment order {order_id}")
