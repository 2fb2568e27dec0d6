"""``http:`` — routes served on an aiohttp server (``http:/orders/{id}?method=GET``) and
calls to other services (``http://host:port/path``), errors as RFC 9457 problems."""

from components.http.component import HttpComponent
from components.http.errors import (
    HttpClientError,
    HttpNoResponse,
    HttpOperationFailed,
    HttpServerError,
)
from components.http.headers import path_param
from components.http.problem import FieldError, ProblemError

__all__ = [
    "FieldError",
    "HttpClientError",
    "HttpComponent",
    "HttpNoResponse",
    "HttpOperationFailed",
    "HttpServerError",
    "ProblemError",
    "path_param",
]
