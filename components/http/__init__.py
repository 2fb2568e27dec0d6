"""``http:`` — routes served on an aiohttp server (``http:/orders/{id}?method=GET``) and
calls to other services (``http://host:port/path``), errors as RFC 9457 problems."""

from components.http.access import PRINCIPAL, access_middleware
from components.http.component import HttpComponent
from components.http.errors import (
    HttpClientError,
    HttpNoResponse,
    HttpOperationFailed,
    HttpServerError,
    HttpTimeout,
)
from components.http.headers import path_param
from components.http.problem import FieldError, ProblemError, answer_problem
from components.http.server import HeaderLimits

__all__ = [
    "PRINCIPAL",
    "FieldError",
    "HeaderLimits",
    "HttpClientError",
    "HttpComponent",
    "HttpNoResponse",
    "HttpOperationFailed",
    "HttpServerError",
    "HttpTimeout",
    "ProblemError",
    "access_middleware",
    "answer_problem",
    "path_param",
]
