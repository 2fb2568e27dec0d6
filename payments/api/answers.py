"""The HTTP face of the lifecycle: what the payment routes answer for each outcome
and refusal of the domain (``payments.domain.rejections``), as RFC 9457 problems."""

from __future__ import annotations

from components.http import FieldError, ProblemError
from components.http.headers import RESPONSE_HEADER_PREFIX
from endpoints import headers
from endpoints.exchange import Exchange
from payments.domain.rejections import MalformedRequest, Rejected
from payments.lifecycle.keys import ORDER_CREATED

# The path a client places and reads its orders at.
ORDERS_PATH = "/payment-orders"


def placed(exchange: Exchange) -> None:
    """201 for the order just created, 200 for the earlier order of the request's
    idempotency key; either at its Location."""
    exchange.headers[headers.HTTP_STATUS] = 201 if exchange.properties[ORDER_CREATED] else 200
    exchange.headers[RESPONSE_HEADER_PREFIX + "Location"] = f"{ORDERS_PATH}/{exchange.body.id}"


def refused(exchange: Exchange) -> None:
    """The problem a refusal answers: 400 when the request is not even the shape of
    one, 422 when it is but cannot be paid or reuses a key."""
    refusal = exchange.caught_exception
    assert isinstance(refusal, Rejected), refusal
    status = 400 if isinstance(refusal, MalformedRequest) else 422
    raise ProblemError(
        status,
        refusal.detail,
        title=refusal.title,
        errors=[FieldError(problem.field, problem.detail) for problem in refusal.problems],
    )


def store_unavailable(exchange: Exchange) -> None:
    raise ProblemError(
        503, "the payment order store is not answering; try again shortly", title="Unavailable"
    )
