"""``http:/path/{param}?method=GET``: a route served by the component's server.

A request becomes an exchange: the body as ``bodyFormat`` says (JSON by default,
numbers with a fraction as ``Decimal``; ``file``: its ``Path``, spooled as it arrived
and removed once the route answered: ``bodies``), request headers by lowercased name, plus
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
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from components.http.access import CREDENTIAL_HEADERS, PRINCIPAL
from components.http.bodies import (
    check_consumes,
    check_media_type,
    read_limited,
    repeated_member_problem,
    spooled,
)
from components.http.codec import encode_body
from components.http.correlation import correlation_id_of
from components.http.headers import (
    PATH_PARAM_PREFIX,
    RESPONSE_HEADER_PREFIX,
    with_prefix,
)
from components.http.options import HttpOptions
from components.http.problem import ProblemError
from components.http.server import HttpServer
from endpoints import headers
from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.json_codec import RepeatedMember, decode_json
from endpoints.tracing import start_span

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("components.http")


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
        options = self.endpoint.options
        if options.consumes is not None:
            check_consumes(request, options.consumes)
        if options.body_format == "file":
            async with spooled(request, options.max_body_size) as path:
                return await self._answer(request, path)
        return await self._answer(request, await self._read_body(request))

    async def _answer(self, request: web.Request, body: Any) -> web.Response:
        exchange = Exchange.of(body, request_headers(request))
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
        if not blank and self.endpoint.options.consumes is None:  # none to check when empty
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
