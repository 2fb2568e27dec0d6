"""The API's answers to the lifecycle's outcomes: the domain says "created", "replayed"
or why it refuses, and ``payments.api.answers`` alone turns that into statuses, ``Location``
and problem details."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from components.http import FieldError
from components.http.headers import RESPONSE_HEADER_PREFIX
from endpoints import headers
from endpoints.exchange import Exchange, Message
from payments.api import answers
from payments.domain.rejections import (
    FieldProblem,
    IdempotencyKeyReused,
    InvalidOrder,
    MalformedRequest,
    NotCancellable,
    Rejected,
    UnknownOrder,
)
from payments.lifecycle.keys import ORDER_CREATED
from tests.payments.store_steps import new_order

ORDER = new_order()
LOCATION = RESPONSE_HEADER_PREFIX + "Location"


@pytest.mark.parametrize(("created", "status"), [(True, 201), (False, 200)])
def test_a_placed_order_answers_created_or_replayed_at_its_location(
    created: bool, status: int
) -> None:
    exchange = Exchange(Message(ORDER), properties={ORDER_CREATED: created})
    answers.placed(exchange)
    assert exchange.headers[headers.HTTP_STATUS] == status
    assert exchange.headers[LOCATION] == f"/payment-orders/{ORDER.id}"


@pytest.mark.parametrize(
    ("refusal", "status", "title"),
    [
        (
            MalformedRequest("the body is no JSON object", [FieldProblem("body", "no object")]),
            400,
            "",
        ),
        (InvalidOrder("accounts are equal", [FieldProblem("creditorAccount", "same")]), 422, ""),
        (
            IdempotencyKeyReused("key taken", [FieldProblem("Idempotency-Key", "used")]),
            422,
            "Idempotency key reused",
        ),
        (UnknownOrder("o-1"), 404, "Unknown payment order"),
        (NotCancellable("o-1", "EXECUTING"), 409, "Not cancellable"),
    ],
)
def test_each_refusal_is_a_problem_naming_its_fields(
    refusal: Rejected, status: int, title: str
) -> None:
    """Answered on the exchange, for the handled policy: raising would be an error in
    the error handling."""
    exchange = Exchange.of(ORDER, {headers.HTTP_PATH: "/payment-orders"})
    exchange.properties[headers.EXCEPTION_CAUGHT] = refusal
    answers.refused(exchange)
    assert exchange.headers[headers.HTTP_STATUS] == status
    assert exchange.headers["http.response.Content-Type"] == "application/problem+json"
    assert exchange.body == {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": refusal.detail,
        "instance": "/payment-orders",
        **(
            {"errors": [FieldError(p.field, p.detail).to_json() for p in refusal.problems]}
            if refusal.problems
            else {}
        ),
    }
