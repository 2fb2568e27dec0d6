"""Access checks in front of served paths: the application names a check per path
prefix (the longest prefix wins); the check authenticates the request, or raises
``ProblemError`` to refuse it (401, 429 …), and returns who the request is from.

The principal is kept on the request (``PRINCIPAL``) and the consumer of a served
route copies it to the exchange as ``http.principal``, so a route knows its caller.
Paths under no prefix are not checked. The component knows no users or keys: what a
check accepts is the application's business.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

PRINCIPAL = web.RequestKey("principal", str)

# Request headers that carry credentials: a check reads them from the request, and the
# consumer never copies them to the exchange, which travels on (queues, Kafka record
# headers, dead letters, logs) where a key must not go.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})

Check = Callable[[web.Request], Awaitable[str]]


def is_under(path: str, prefix: str) -> bool:
    """``/orders`` is under ``/orders`` and holds ``/orders/1``, not ``/orders-old``."""
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def access_middleware(checks: Mapping[str, Check]) -> Middleware:
    """Append it to ``HttpComponent.app.middlewares``: it then runs inside the
    problem-details middleware, so a refusal answers as problem details."""
    by_length = sorted(checks.items(), key=lambda item: len(item[0]), reverse=True)

    @web.middleware
    async def check_access(request: web.Request, handler: Handler) -> web.StreamResponse:
        for prefix, check in by_length:
            if is_under(request.path, prefix):
                request[PRINCIPAL] = await check(request)
                break
        return await handler(request)

    return check_access
