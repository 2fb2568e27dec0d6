"""The ``http:`` component: one aiohttp server for the routes it serves and one
client session for the services it calls.

``http:/orders/{id}?method=GET`` (a path, no host) is a route served on the
component's server; ``http://host:port/path`` (an authority after ``//``) is a call
to another service. The server listens when the component starts if anything is
mounted on it (a route, or a handler of the application's own added to ``app``),
so a process that only calls services never binds a port.
"""

from __future__ import annotations

import aiohttp
from aiohttp import web
from yarl import URL

from components.http.consumer import HttpServerEndpoint
from components.http.options import CLIENT_ONLY, SERVER_ONLY, HttpOptions, misplaced
from components.http.producer import HttpClientEndpoint
from components.http.server import DEFAULT_HEADER_LIMITS, HeaderLimits, HttpServer
from endpoints.base import Endpoint
from endpoints.component import Component
from endpoints.errors import EndpointError


class HttpComponent(Component[HttpOptions]):
    options_model = HttpOptions

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        shutdown_timeout: float = 30.0,
        header_limits: HeaderLimits = DEFAULT_HEADER_LIMITS,
    ) -> None:
        self.server = HttpServer(host, port, shutdown_timeout, header_limits)
        self._session: aiohttp.ClientSession | None = None

    @property
    def app(self) -> web.Application:
        """The server's aiohttp application: add handlers, sub-apps and middlewares
        before the component starts."""
        return self.server.app

    @property
    def port(self) -> int:
        """The port the server listens on (useful when configured with 0)."""
        return self.server.port

    @property
    def url(self) -> str:
        return self.server.url

    def make_endpoint(self, uri: str, path: str, options: HttpOptions) -> Endpoint:
        if path.startswith("//"):
            return self._client_endpoint(uri, path, options)
        if not path.startswith("/"):
            raise EndpointError(
                uri,
                "http: needs a path to serve (http:/orders) or a URL to call (http://host/path)",
            )
        if wrong := misplaced(options, CLIENT_ONLY):
            raise EndpointError(uri, f"options {wrong} apply only to calls (http://host/path)")
        return HttpServerEndpoint(uri, path, options, self.server)

    def _client_endpoint(self, uri: str, path: str, options: HttpOptions) -> Endpoint:
        if wrong := misplaced(options, SERVER_ONLY):
            raise EndpointError(uri, f"options {wrong} apply only to served routes (http:/path)")
        scheme = uri.partition(":")[0].lower()
        try:
            url = URL(f"{scheme}:{path}")
        except ValueError as error:
            raise EndpointError(uri, f"bad URL: {error}") from None
        return HttpClientEndpoint(uri, str(url), options, self.client_session)

    def client_session(self) -> aiohttp.ClientSession:
        """The session every call of this component shares, opened on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def start(self) -> None:
        if self.server.has_routes:
            await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
