"""``http:/path/{param}?method=GET``: a route served by the component's server.

A request becomes an exchange: the body as ``bodyFormat`` says (JSON by default,
numbers with a fraction as ``Decimal``), request headers by lowercased name, plus
``http.method``, ``http.path``, ``http.query`` and one ``http.path.<name>`` per path
parameter. When the route is done its exchange becomes the response: status from
``http.status`` (else 200, or 204 without a body), headers from ``http.response.*``,
the body encoded by its type. A failed exchange answers as problem details; so does a
body that does not decode, and a JSON body that names a member twice is one of those
(400, naming the member), since readers disagree on which of its values counts.

A body is read only as it was sent, in UTF-8 (RFC 8259 §8.1): a JSON body must come as
``application/json`` or ``application/*+json``, a text one as ``text/*``, with no
charset but UTF-8; anything else is a 415 naming what is accepted. Another charset
would let a proxy or an audit log read other bytes than the service books, and a form
or ``text/plain`` is what any web page can send cross-site without asking first.

``http.status`` is also written by the ``http://`` producer, so a route that calls
a service answers with that service's status unless it sets its own.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from components.http.access import CREDENTIAL_HEADERS, PRINCIPAL
from components.http.codec import encode_body, is_json
from components.http.correlation import correlation_id_of
from components.http.headers import (
    PATH_PARAM_PREFIX,
    RESPONSE_HEADER_PREFIX,
    with_prefix,
)
from components.http.options import BodyFormat, HttpOptions
from components.http.problem import FieldError, ProblemError
from components.http.server import HttpServer
from endpoints import headers
from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.json_codec import RepeatedMember, decode_json
from endpoints.tracing import start_span

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("components.http")
MAX_LISTED = 20  # repeated members a problem lists one by one


class HttpServerEndpoint(Endpoint):
    def __init__(self, uri: str, path: str, options: HttpOptions, server: HttpServer) -> None:
        super().__init__(uri)
        self.path = path
        self.options = options
        self.server = server

    def create_producer(self) -> Producer:
        raise EndpointError(
            self.uri, "http:/path is served, not sent to; call a service with http://host:port/path"
        )

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        consumer = HttpConsumer(self, handler)
        method = self.options.method or "*"
        try:
            self.server.add_route(method, self.path, consumer.serve)
        except RuntimeError as error:  # frozen router, or the same method and path twice
            raise EndpointError(self.uri, f"cannot serve {method} {self.path}: {error}") from None
        except ValueError as error:
            raise EndpointError(self.uri, f"bad path {self.path!r}: {error}") from None
        return consumer


class HttpConsumer(Consumer):
    """Serves its route while started; stopping refuses new requests (503) and waits
    for those in flight."""

    endpoint: HttpServerEndpoint

    def __init__(self, endpoint: HttpServerEndpoint, handler: RouteHandler) -> None:
        super().__init__(endpoint, handler)
        self.accepting = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        await self.endpoint.server.start()
        self.accepting = True

    async def stop(self) -> None:
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), self.endpoint.server.shutdown_timeout)
        except TimeoutError:
            logger.warning("%s: %d request(s) still in flight", self.endpoint.uri, self._in_flight)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        if not self.accepting:
            raise ProblemError(HTTPStatus.SERVICE_UNAVAILABLE, "this route is not running")
        self._in_flight += 1
        self._idle.clear()
        try:
            with start_span(
                tracer,
                f"{request.method} {self.endpoint.path}",
                request.headers,
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": request.method,
                    "http.route": self.endpoint.path,
                    "url.path": request.path,
                },
                set_status_on_exception=False,
            ) as span:
                try:
                    response = await self._respond(request)
                except ProblemError as problem:
                    span.set_attribute("http.response.status_code", problem.problem.status)
                    raise
                except Exception as error:
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    raise
                span.set_attribute("http.response.status_code", response.status)
                return response
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _respond(self, request: web.Request) -> web.Response:
        exchange = Exchange.of(await self._read_body(request), request_headers(request))
        exchange.headers[headers.CORRELATION_ID] = correlation_id_of(request)
        if PRINCIPAL in request:
            exchange.headers[headers.HTTP_PRINCIPAL] = request[PRINCIPAL]
        try:
            await self.handler(exchange)
        except Exception as error:  # a plain handler; a route records it itself
            exchange.exception = error
        if exchange.exception is not None:
            raise exchange.exception
        return response_for(exchange)

    async def _read_body(self, request: web.Request) -> Any:
        raw = await read_limited(request, self.endpoint.options.max_body_size)
        body_format = self.endpoint.options.body_format
        if body_format == "bytes":
            return raw
        blank = not raw.strip()
        if not blank:  # an empty body has no media type to check
            check_media_type(request, body_format)
        try:
            if body_format == "text":
                return raw.decode("utf-8")
            return None if blank else decode_json(raw)
        except RepeatedMember as error:
            raise repeated_member_problem(error) from None
        except ValueError as error:  # bad syntax or bytes
            raise ProblemError(
                HTTPStatus.BAD_REQUEST, f"malformed {body_format} body: {error}"
            ) from None


_ACCEPTED = {
    "json": "application/json (or application/*+json)",
    "text": "text/* (text/plain …)",
}


def check_media_type(request: web.Request, body_format: BodyFormat) -> None:
    """A 415 unless the body's media type is one ``body_format`` reads, in UTF-8."""
    given = request.content_type if hdrs.CONTENT_TYPE in request.headers else None
    kind = is_json(given) if body_format == "json" else bool(given and given.startswith("text/"))
    if kind and is_utf8(request.charset):
        return
    sent = request.headers.get(hdrs.CONTENT_TYPE, "no Content-Type")
    accepted = f"{_ACCEPTED[body_format]} in UTF-8"
    raise ProblemError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"the request body must be {accepted}, not {sent}",
        errors=[FieldError("Content-Type", f"must be {accepted}")],
    )


def is_utf8(charset: str | None) -> bool:
    """No charset (UTF-8 is JSON's and this service's), or a name of UTF-8."""
    if charset is None:
        return True
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def repeated_member_problem(error: RepeatedMember) -> ProblemError:
    """A 400 naming each repeated member (the first ``MAX_LISTED``), as a field error."""
    return ProblemError(
        HTTPStatus.BAD_REQUEST,
        f"ambiguous json body: {error}",
        errors=[
            FieldError(
                ".".join(map(str, path)),
                "appears more than once in its object; send it once",
                path,
            )
            for path in error.paths[:MAX_LISTED]
        ],
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    def too_large() -> ProblemError:
        return ProblemError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the request body exceeds {limit} bytes"
        )

    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise too_large()
    return bytes(body)


def request_headers(request: web.Request) -> dict[str, Any]:
    """Request headers by lowercased name (repeats joined by commas), then the
    component's own; a request header that is the engine's (``headers.is_local``: the
    component's own among them) is dropped, and so are credentials
    (``CREDENTIAL_HEADERS``)."""
    result: dict[str, Any] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if not headers.is_local(key) and key not in CREDENTIAL_HEADERS:
            result[key] = f"{result[key]}, {value}" if key in result else value
    result[headers.HTTP_METHOD] = request.method
    result[headers.HTTP_PATH] = request.path
    result[headers.HTTP_QUERY] = {key: request.query[key] for key in request.query}
    if hdrs.CONTENT_TYPE in request.headers:
        result[headers.HTTP_CONTENT_TYPE] = request.content_type
    for name, value in request.match_info.items():
        result[PATH_PARAM_PREFIX + name] = value
    return result


def response_for(exchange: Exchange) -> web.Response:
    body = exchange.body
    status = exchange.headers.get(headers.HTTP_STATUS)
    if status is None:
        status = HTTPStatus.OK if body is not None else HTTPStatus.NO_CONTENT
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise TypeError(f"header {headers.HTTP_STATUS} must be an HTTP status, not {status!r}")
    payload, content_type = encode_body(body)
    response_headers = with_prefix(exchange.headers, RESPONSE_HEADER_PREFIX)
    if content_type and not any(name.lower() == "content-type" for name in response_headers):
        response_headers["Content-Type"] = content_type
    return web.Response(status=status, body=payload, headers=response_headers)
