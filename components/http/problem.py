"""RFC 9457 problem details: every error the HTTP API answers is
``application/problem+json`` with ``type``, ``title``, ``status``, ``detail`` and
``instance``, and never a stack trace.

Routes and handlers raise ``ProblemError`` for what the client got wrong; a pydantic
``ValidationError`` becomes 422 naming each bad field; aiohttp's own errors (no
route, method not allowed, body too large) keep their status; anything else is a
500 with a generic detail, its traceback logged on the server only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from components.http.headers import RESPONSE_HEADER_PREFIX
from endpoints import headers
from endpoints.exchange import Exchange
from endpoints.json_codec import encode_json

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INTERNAL_ERROR_DETAIL = "The server could not process the request; it has been logged."


def _pointer(parts: Sequence[str | int]) -> str:
    """A JSON Pointer (RFC 6901) in URI fragment form, as RFC 9457's examples write it."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join("/" + part for part in escaped)


@dataclass(frozen=True)
class FieldError:
    """One bad field: ``field`` is dotted (``creditorAccount.iban``, ``items.0.amount``).
    ``path`` gives its parts when a name may hold a dot itself, so the pointer is exact."""

    field: str
    detail: str
    path: Sequence[str | int] | None = None

    def to_json(self) -> dict[str, str]:
        parts = self.path if self.path is not None else self.field.split(".") if self.field else []
        return {"field": self.field, "pointer": _pointer(parts), "detail": self.detail}


@dataclass(frozen=True)
class Problem:
    status: int
    detail: str
    title: str = ""
    type: str = "about:blank"
    errors: Sequence[FieldError] = ()
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self, instance: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": self.type,
            "title": self.title or _phrase(self.status),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            document["errors"] = [error.to_json() for error in self.errors]
        return document

    def response(self, instance: str) -> web.Response:
        return web.Response(
            status=self.status,
            body=encode_json(self.to_json(instance)),
            content_type=PROBLEM_JSON,
            headers=self.headers,
        )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """Raise from a route or handler to answer a client error as problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str = "",
        type: str = "about:blank",
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """``headers`` go on the response (``WWW-Authenticate``, ``Retry-After`` …)."""
        if not 400 <= status <= 599:
            raise ValueError(f"a problem has an error status (400-599), not {status}")
        super().__init__(f"{status} {title or _phrase(status)}: {detail}")
        self.problem = Problem(status, detail, title, type, tuple(errors), dict(headers or {}))


def answer_problem(exchange: Exchange, error: ProblemError) -> None:
    """Answer the route's request with ``error``'s problem instead of raising it: for an
    ``onException`` that handles what failed (a step raising there is an error in the
    error handling, which the engine logs as one)."""
    problem = error.problem
    exchange.body = problem.to_json(str(exchange.headers.get(headers.HTTP_PATH, "")))
    exchange.headers[headers.HTTP_STATUS] = problem.status
    exchange.headers[RESPONSE_HEADER_PREFIX + hdrs.CONTENT_TYPE] = PROBLEM_JSON
    for name, value in problem.headers.items():
        exchange.headers[RESPONSE_HEADER_PREFIX + name] = value


def validation_problem(error: ValidationError) -> Problem:
    errors = [
        FieldError(".".join(str(part) for part in item["loc"]), _message(item))
        for item in error.errors(include_url=False, include_input=False)
    ]
    return Problem(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        f"invalid fields in the request: {len(errors)}",
        errors=errors,
    )


def _message(item: ErrorDetails) -> str:
    """pydantic's message, but a validator's own ValueError as the validator wrote it
    (pydantic puts "Value error, " before it)."""
    error = item.get("ctx", {}).get("error")
    return str(error) if item["type"] == "value_error" and error is not None else item["msg"]


_KEPT_HEADERS = frozenset({hdrs.ALLOW, hdrs.RETRY_AFTER, hdrs.WWW_AUTHENTICATE})


def _http_exception_problem(error: web.HTTPException, request: web.Request) -> Problem:
    headers = {str(name): error.headers[name] for name in _KEPT_HEADERS if name in error.headers}
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        detail = f"{error.method} is not allowed on {request.path} (allowed: {allowed})"
    elif error.text and error.text != f"{error.status}: {error.reason}":
        detail = error.text  # a handler's own message
    elif isinstance(error, web.HTTPNotFound):
        detail = f"nothing is served at {request.path}"
    else:
        detail = error.reason
    return Problem(error.status, detail, error.reason, headers=headers)


def problem_for(error: BaseException, request: web.Request) -> Problem:
    """The problem to answer for ``error``; unexpected errors are logged with traceback."""
    if isinstance(error, ProblemError):
        return error.problem
    if isinstance(error, ValidationError):
        return validation_problem(error)
    if isinstance(error, web.HTTPException) and error.status >= 400:
        return _http_exception_problem(error, request)
    logger.error("%s %s failed", request.method, request.path, exc_info=error)
    return Problem(HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR_DETAIL)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost middleware: whatever fails inside answers as problem details."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return problem_for(error, request).response(request.path)
    except Exception as error:
        return problem_for(error, request).response(request.path)
