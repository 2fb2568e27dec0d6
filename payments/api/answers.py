"""The HTTP face of the lifecycle: what the payment routes answer for each outcome
and refusal of the domain (``payments.domain.rejections``), as RFC 9457 problems."""

from __future__ import annotations

from components.http import FieldError, ProblemError, answer_problem
from components.http.headers import RESPONSE_HEADER_PREFIX
from endpoints import headers
from endpoints.exchange import Exchange
from payments.domain.rejections import MalformedRequest, NotCancellable, Rejected, UnknownOrder
from payments.lifecycle.keys import ORDER_CREATED

# The path a client places and reads its orders at.
ORDERS_PATH = "/payment-orders"


def placed(exchange: Exchange) -> None:
    """201 for the order just created, 200 for the earlier order of the request's
    idempotency key; either at its Location."""
    exchange.headers[headers.HTTP_STATUS] = 201 if exchange.properties[ORDER_CREATED] else 200
    exchange.headers[RESPONSE_HEADER_PREFIX + "Location"] = f"{ORDERS_PATH}/{exchange.body.id}"


def refused(exchange: Exchange) -> None:
    """The problem a refusal answers (its ``onException`` handles it): 400 when the
    request is not even the shape of one, 404 for an order the client does not have,
    409 for a cancel that comes too late, 422 when it is but cannot be paid or reuses a
    key."""
    refusal = exchange.caught_exception
    assert isinstance(refusal, Rejected), refusal
    status = 400 if isinstance(refusal, MalformedRequest) else 422
    if isinstance(refusal, NotCancellable):
        status = 409
    elif isinstance(refusal, UnknownOrder):
        status = 404
    errors = [FieldError(problem.field, problem.detail) for problem in refusal.problems]
    answer_problem(
        exchange, ProblemError(status, refusal.detail, title=refusal.title, errors=errors)
    )


def store_unavailable(exchange: Exchange) -> None:
    """503 (its ``onException`` handles the outage)."""
    detail = "the payment order store is not answering; try again shortly"
    answer_problem(exchange, ProblemError(503, detail, title="Unavailable"))
