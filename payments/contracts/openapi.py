"""The OpenAPI 3.1 document of the payment API, generated from its pydantic models.

Every operation needs a client's key (``Authorization: Bearer`` or ``X-API-Key``) once
clients are configured: 401 without one, 429 over the client's rate.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from payments.domain.model import OrderStatus, PaymentOrder, Transition
from payments.domain.request import CreatePaymentOrder
from payments.files.report import FileList, FileReceipt, FileSummary


class OrderPage(BaseModel):
    items: list[PaymentOrder]
    next: str | None


class OrderHistory(BaseModel):
    id: str
    status: OrderStatus
    history: list[Transition]


class FieldProblem(BaseModel):
    field: str
    pointer: str
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] = []


_MODELS: list[type[BaseModel]] = [
    CreatePaymentOrder,
    PaymentOrder,
    OrderPage,
    OrderHistory,
    Problem,
    FileReceipt,
    FileSummary,
    FileList,
]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model: type[BaseModel], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": _ref(model)}}}


_HEADER_NOTES = {
    401: {"WWW-Authenticate": "Bearer: the request carries no valid client key"},
    429: {"Retry-After": "whole seconds until the client may send again"},
}


def _problems(*statuses: int) -> dict[str, Any]:
    """Problem responses for ``statuses``, plus those every operation has: 400 (a query
    parameter given twice), 401 and 429."""
    return {
        str(status): {
            "description": "problem details",
            **_json(Problem, "application/problem+json"),
            **(
                {
                    "headers": {
                        name: {"description": note, "schema": {"type": "string"}}
                        for name, note in _HEADER_NOTES[status].items()
                    }
                }
                if status in _HEADER_NOTES
                else {}
            ),
        }
        for status in sorted({*statuses, 400, 401, 429})
    }


_ORDER_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_PAIN_001 = {
    "schema": {
        "type": "string",
        "description": "an ISO 20022 pain.001.001.03 or pain.001.001.09 document, UTF-8",
    }
}


def _files() -> dict[str, Any]:
    """The paths of payment files (``payments.api.files``)."""
    return {
        "/payment-files": {
            "post": {
                "operationId": "sendPaymentFile",
                "description": "Every credit transfer of a pain.001 becomes a payment order, "
                "or is refused alone with an ISO 20022 reason code (AC01 an account, AM01 "
                "AM02 AM12 an amount, AM03 a currency, DT01 a day, AM05 an EndToEndId "
                "repeated in its block, NARR otherwise). A file refused whole answers a "
                "problem whose detail starts with its reason code: FF01 (400) not a valid "
                "pain.001, AM18 or AM10 (422) a count or control sum that does not add up, "
                "DU02 (422) a PmtInfId given twice, DU01 (409) a MsgId sent before with "
                "other content.",
                "requestBody": {
                    "required": True,
                    "content": {"application/xml": _PAIN_001, "text/xml": _PAIN_001},
                },
                "responses": {
                    "202": {"description": "received and split", **_json(FileReceipt)},
                    "200": {
                        "description": "the file this MsgId named, the same bytes "
                        "(split to its end if a crash had cut it short)",
                        **_json(FileReceipt),
                    },
                    **_problems(409, 413, 415, 422, 503),
                },
            },
            "get": {
                "operationId": "listPaymentFiles",
                "responses": {
                    "200": {"description": "newest first", **_json(FileList)},
                    **_problems(503),
                },
            },
        },
        "/payment-files/{id}": {
            "get": {
                "operationId": "getPaymentFile",
                "parameters": [_ORDER_ID],
                "responses": {
                    "200": {"description": "as its orders stand now", **_json(FileSummary)},
                    **_problems(404, 503),
                },
            }
        },
        "/payment-files/{id}/status-report": {
            "get": {
                "operationId": "getPaymentFileStatusReport",
                "parameters": [_ORDER_ID],
                "responses": {
                    "200": {
                        "description": "the pain.002 (.03 for a .03 file, .10 for a .09 "
                        "one), as its orders stand now",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                    **_problems(404, 503),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [
            (model, "validation" if model is CreatePaymentOrder else "serialization")
            for model in _MODELS
        ],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "Payment order orchestrator", "version": "1.0.0"},
        "paths": {
            "/payment-orders": {
                "post": {
                    "operationId": "createPaymentOrder",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            # Visible ASCII, spaces inside only (HTTP trims the ends);
                            # the API takes any printable text, but headers are ASCII.
                            "schema": {
                                "type": "string",
                                "pattern": "^[!-~]([ -~]{0,253}[!-~])?$",
                            },
                        }
                    ],
                    "requestBody": {"required": True, **_json(CreatePaymentOrder)},
                    "responses": {
                        "201": {"description": "created", **_json(PaymentOrder)},
                        "200": {
                            "description": "the order this idempotency key made",
                            **_json(PaymentOrder),
                        },
                        **_problems(413, 415, 422, 503),
                    },
                },
                "get": {
                    "operationId": "listPaymentOrders",
                    "parameters": [
                        {"name": "status", "in": "query", "schema": {"enum": list(OrderStatus)}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                        },
                        {"name": "after", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "newest first", **_json(OrderPage)},
                        **_problems(503),
                    },
                },
            },
            "/payment-orders/{id}": {
                "get": {
                    "operationId": "getPaymentOrder",
                    "parameters": [_ORDER_ID],
                    "responses": {
                        "200": {"description": "the order", **_json(PaymentOrder)},
                        **_problems(404, 503),
                    },
                }
            },
            "/payment-orders/{id}/cancel": {
                "post": {
                    "operationId": "cancelPaymentOrder",
                    "description": "Takes back an order nothing has paid yet (PENDING, "
                    "VALIDATED, ACCEPTED, SCHEDULED); cancelling a CANCELLED order "
                    "answers it again.",
                    "parameters": [_ORDER_ID],
                    "responses": {
                        "200": {"description": "the order, CANCELLED", **_json(PaymentOrder)},
                        **_problems(404, 409, 503),
                    },
                }
            },
            "/payment-orders/{id}/history": {
                "get": {
                    "operationId": "getPaymentOrderHistory",
                    "parameters": [_ORDER_ID],
                    "responses": {
                        "200": {"description": "every transition, in order", **_json(OrderHistory)},
                        **_problems(404, 503),
                    },
                }
            },
            **_files(),
        },
        "security": [{"bearerKey": []}, {"headerKey": []}],
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "bearerKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a client's API key: python app.py create-client <id>",
                },
                "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
