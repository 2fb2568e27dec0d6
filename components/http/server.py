"""The one aiohttp server of an ``HttpComponent``: every ``http:/path`` route of the
component and the application's own handlers (``/health``, ``/openapi.json`` …)
share it, behind the correlation-id, problem-details and query middlewares. Every
answer says ``nosniff`` and names no server software (``plain_answers``); a query
that gives a parameter twice is refused (``single_query_middleware``).

aiohttp freezes its router when the server starts, so routes are added before:
the engine builds every route (creating its consumer) before anything starts.
Stopping closes the listening socket first, then lets requests in flight finish
for up to ``shutdown_timeout`` seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http import HTTPStatus

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from components.http.correlation import correlation_middleware
from components.http.problem import FieldError, ProblemError, problem_middleware

logger = logging.getLogger(__name__)


class ServerNotRunning(RuntimeError):
    pass


@dataclass(frozen=True)
class HeaderLimits:
    """What aiohttp accepts of a request's head; past it, aiohttp itself answers 400
    (text/plain: it refuses before any handler or middleware runs) and closes."""

    max_line_size: int = 8190  # the request line: method, target, version
    max_field_size: int = 8190  # one header line, name and value
    max_headers: int = 100


DEFAULT_HEADER_LIMITS = HeaderLimits()


def plain_answers(app: web.Application) -> None:
    """Every answer of ``app``: no ``Server`` header (aiohttp's names the Python and
    aiohttp versions, a map of known flaws), and ``X-Content-Type-Options: nosniff``, so
    no browser reads a JSON answer as something else."""

    async def prepare(_: web.Request, response: web.StreamResponse) -> None:
        response.headers.popall(hdrs.SERVER, None)
        response.headers.setdefault(hdrs.X_CONTENT_TYPE_OPTIONS, "nosniff")

    app.on_response_prepare.append(prepare)


@web.middleware
async def single_query_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A query parameter given twice is a 400 naming it: ``?limit=2&limit=100`` has no
    one meaning, and a reader that took the first would see another request than one
    that took the last."""
    repeated = sorted({name for name in request.query if len(request.query.getall(name)) > 1})
    if repeated:
        raise ProblemError(
            HTTPStatus.BAD_REQUEST,
            f"query parameters given more than once: {', '.join(repeated)}; give each once",
            errors=[FieldError(name, "given more than once; give it once") for name in repeated],
        )
    return await handler(request)


class HttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        shutdown_timeout: float,
        header_limits: HeaderLimits = DEFAULT_HEADER_LIMITS,
    ) -> None:
        self.host = host
        self.configured_port = port
        self.shutdown_timeout = shutdown_timeout
        self.header_limits = header_limits
        # Add plain handlers, sub-apps and middlewares here before the server starts;
        # middlewares appended run inside the problem-details one.
        self.app = web.Application(
            middlewares=[correlation_middleware, problem_middleware, single_query_middleware]
        )
        plain_answers(self.app)
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, set[str]] = {}  # by path: what routes serve ("*": any)

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def has_routes(self) -> bool:
        return bool(self.app.router.resources())

    @property
    def port(self) -> int:
        """The port bound (the chosen one when configured with 0)."""
        if self._runner is None or not self._runner.addresses:
            raise ServerNotRunning(f"the HTTP server for {self.host} is not listening")
        port: int = self._runner.addresses[0][1]
        return port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Raises RuntimeError once the server runs or when a route already serves
        ``method`` on ``path``, ValueError on a bad path."""
        served = self._methods.setdefault(path, set())
        if method in served or "*" in served or (method == "*" and served):
            raise RuntimeError(f"a route already serves {', '.join(sorted(served))} {path}")
        self.app.router.add_route(method, path, handler)
        served.add(method)

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self.app,
            shutdown_timeout=self.shutdown_timeout,
            max_line_size=self.header_limits.max_line_size,
            max_field_size=self.header_limits.max_field_size,
            max_headers=self.header_limits.max_headers,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.configured_port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        logger.info("HTTP server listening on %s", self.url)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
