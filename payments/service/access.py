"""Who may call what: the checks the service puts in front of its paths.

- ``/payment-orders``: a client's key (``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>``) once any client is configured, then the client's rate limit;
  a cancel, an operator's key too (the principal ``operator:<id>``, any client's order).
  With none configured the API runs open, every request as the anonymous client.
- ``/console``: an operator's key once operators are configured; with clients but no
  operators it is closed (it shows every client's orders). Browsers send the key as
  HTTP Basic credentials (any user name), so the refusal asks for those.
- ``/metrics`` and ``/asyncapi.json`` (the topics and the routes that use them): an
  operator's key once operators are configured, else open.
- ``/health/*`` and ``/openapi.json``: always open (probes and tooling).

A refusal never tells whether a key exists: a wrong key and a missing one answer
the same 401.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from aiohttp import hdrs, web

from components.http import ProblemError, access_middleware
from components.http.access import Check
from config.settings import Settings
from payments.api.answers import ORDERS_PATH
from payments.api.clients import InvalidClientsFile, RateLimit, Registry, load_clients
from payments.api.files import FILES_PATH
from payments.api.rate_limit import RateLimiter
from payments.console import CONSOLE_PATH
from payments.domain.model import ANONYMOUS_CLIENT
from payments.lifecycle.keys import CANCEL_SUFFIX, OPERATOR_PREFIX
from payments.service.errors import ConfigurationError

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
ASYNCAPI_PATH = "/asyncapi.json"
API_KEY_HEADER = "X-API-Key"
_CLIENT_CHALLENGE = 'Bearer realm="payment-orders"'
_OPERATOR_CHALLENGE = 'Basic realm="operators", charset="UTF-8"'


def presented_key(request: web.Request) -> str | None:
    """The key of ``Authorization: Bearer``, of ``Authorization: Basic`` (the password)
    or of ``X-API-Key``; None when there is none."""
    authorization = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer" and credentials:
        return credentials
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return request.headers.get(API_KEY_HEADER, "").strip() or None


def _unauthorized(challenge: str, who: str) -> ProblemError:
    return ProblemError(
        401,
        f"this needs the API key of {who}: Authorization: Bearer <key> or {API_KEY_HEADER}",
        headers={hdrs.WWW_AUTHENTICATE: challenge},
    )


@dataclass
class AccessPolicy:
    registry: Registry
    limiter: RateLimiter

    def replace(self, registry: Registry) -> None:
        """Serve ``registry`` from the next request on (a clients file read again)."""
        self.registry = registry
        self.limiter.set_limits(registry.rate_limits())

    def reload(self, path: Path | None) -> bool:
        """Read the clients file at ``path`` again: its keys and limits serve from the next
        request. A file that does not load, or that lists no client where clients were
        served (it would open the API), changes nothing."""
        if path is None:
            logger.warning("API clients not reloaded: API_CLIENTS_FILE is not set")
            return False
        try:
            registry = load_clients(path)
        except InvalidClientsFile as error:
            logger.error("API clients not reloaded, the previous ones still serve: %s", error)
            return False
        if self.registry.clients and not registry.clients:
            logger.error(
                "API clients not reloaded: %s lists no client, which would open the API", path
            )
            return False
        self.replace(registry)
        logger.info(
            "API clients reloaded from %s: %d client(s), %d operator(s)",
            path,
            len({client.id for client in registry.clients.values()}),
            len({operator.id for operator in registry.operators.values()}),
        )
        return True

    @property
    def open_api(self) -> bool:
        """No client configured: the API serves everyone as the anonymous client."""
        return not self.registry.clients

    async def client(self, request: web.Request) -> str:
        if self.open_api:
            return ANONYMOUS_CLIENT
        key = presented_key(request)
        client = None if key is None else self.registry.client(key)
        if client is None and key is not None and _cancels(request):
            operator = self.registry.operator(key)
            if operator is not None:  # an operator may cancel any client's order
                return OPERATOR_PREFIX + operator.id
        if client is None:
            raise _unauthorized(_CLIENT_CHALLENGE, "a client")
        wait = self.limiter.take(client.id)
        if wait > 0:
            limit = self.limiter.limit_of(client.id)
            raise ProblemError(
                429,
                f"client {client.id} may send {limit.per_second:g} requests a second "
                f"(bursts of {limit.burst}); retry after the time Retry-After says",
                headers={hdrs.RETRY_AFTER: str(max(1, math.ceil(wait)))},
            )
        return client.id

    async def operator(self, request: web.Request) -> str:
        if not self.registry.operators and self.open_api:
            return ANONYMOUS_CLIENT
        key = presented_key(request)
        operator = None if key is None else self.registry.operator(key)
        if operator is None:
            raise _unauthorized(_OPERATOR_CHALLENGE, "an operator")
        return operator.id

    async def operator_if_any(self, request: web.Request) -> str:
        return await self.operator(request) if self.registry.operators else ANONYMOUS_CLIENT

    def checks(self) -> Mapping[str, Check]:
        return {
            ORDERS_PATH: self.client,
            FILES_PATH: self.client,
            CONSOLE_PATH: self.operator,
            METRICS_PATH: self.operator_if_any,
            ASYNCAPI_PATH: self.operator_if_any,
        }

    def install(self, app: web.Application) -> None:
        app.middlewares.append(access_middleware(self.checks()))


def _cancels(request: web.Request) -> bool:
    """``POST /payment-orders/{id}/cancel``."""
    return request.method == "POST" and request.path.endswith(CANCEL_SUFFIX)


def access_policy(settings: Settings, mode: Literal["all", "ingest", "process"]) -> AccessPolicy:
    """The clients and operators of ``API_CLIENTS_FILE``, their rate limits, and a
    warning (or, with ``API_AUTH_REQUIRED``, a refusal) where the API would run open."""
    registry = Registry({}, {})
    if settings.api_clients_file is not None:
        try:
            registry = load_clients(settings.api_clients_file)
        except InvalidClientsFile as error:
            raise ConfigurationError(f"API_CLIENTS_FILE: {error}") from None
    if mode != "process" and not registry.clients:
        if settings.api_auth_required:
            raise ConfigurationError(
                "API_AUTH_REQUIRED is true but no API client is configured: list them in "
                "the file API_CLIENTS_FILE names (python app.py create-client <id>)"
            )
        logger.warning(
            "no API clients configured (API_CLIENTS_FILE): /payment-orders is open to anyone, "
            "every request as client %r",
            ANONYMOUS_CLIENT,
        )
    elif mode != "process" and not registry.operators:
        logger.warning("no operators in %s: the console is closed", settings.api_clients_file)
    default = RateLimit(per_second=settings.api_rate_limit, burst=settings.api_rate_burst)
    return AccessPolicy(registry, RateLimiter(default, registry.rate_limits()))
