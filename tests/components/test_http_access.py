"""Access checks and header limits of the ``http:`` component, on a real aiohttp server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from components.http import PRINCIPAL, HeaderLimits, HttpComponent, ProblemError, access_middleware
from components.http.access import is_under
from endpoints import headers
from endpoints.exchange import Exchange
from tests.components.test_http_component import problem, serve


@pytest.fixture
async def component() -> AsyncIterator[HttpComponent]:
    component = HttpComponent(port=0, shutdown_timeout=5, header_limits=HeaderLimits(1024, 512, 20))
    yield component
    await component.stop()


async def token_check(request: web.Request) -> str:
    if request.headers.get("Authorization") != "Bearer good":
        raise ProblemError(401, "no such token", headers={"WWW-Authenticate": "Bearer"})
    return "caller-1"


async def admin_check(_: web.Request) -> str:
    return "admin"


def test_a_prefix_holds_itself_and_what_is_below_it_only() -> None:
    assert is_under("/orders", "/orders")
    assert is_under("/orders/1/history", "/orders")
    assert not is_under("/orders-old", "/orders")
    assert not is_under("/", "/orders")


async def test_the_principal_of_the_check_reaches_the_exchange_and_refusals_are_problems(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(exchange: Exchange) -> None:
        seen.append(dict(exchange.headers))
        exchange.body = {"ok": True}

    component.app.middlewares.append(
        access_middleware({"/orders": token_check, "/orders/admin": admin_check})
    )
    await serve(
        component,
        {
            "http:/orders?method=GET": handler,
            "http:/orders/admin?method=GET": handler,
            "http:/public?method=GET": handler,
        },
    )
    # A client naming the header itself is ignored: only the check says who it is.
    spoof = {"http.principal": "root", "Authorization": "Bearer good", "X-API-Key": "k"}
    async with client.get(
        f"{component.url}/orders", headers=spoof | {"Cookie": "s=1", "X-Other": "kept"}
    ) as response:
        assert response.status == 200
    async with client.get(f"{component.url}/orders", headers={"Authorization": "x"}) as response:
        document = await problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["X-Correlation-ID"]
    assert document["detail"] == "no such token"
    async with client.get(f"{component.url}/orders/admin") as response:  # the longest prefix
        assert response.status == 200
    async with client.get(f"{component.url}/public") as response:
        assert response.status == 200

    assert [request.get(headers.HTTP_PRINCIPAL) for request in seen] == ["caller-1", "admin", None]
    # Credentials stay on the request: the exchange travels on, to queues, topics and logs.
    assert seen[0]["x-other"] == "kept"
    assert not {"authorization", "x-api-key", "cookie"} & seen[0].keys()


async def test_a_plain_handler_reads_the_principal_from_the_request(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def whoami(request: web.Request) -> web.Response:
        return web.json_response({"principal": request[PRINCIPAL]})

    component.app.middlewares.append(access_middleware({"/whoami": token_check}))
    component.app.router.add_get("/whoami", whoami)
    await component.start()
    async with client.get(
        f"{component.url}/whoami", headers={"Authorization": "Bearer good"}
    ) as response:
        assert await response.json() == {"principal": "caller-1"}


@pytest.mark.parametrize(
    ("name", "request_headers", "target"),
    [
        ("a header line over max_field_size", {"X-Big": "x" * 600}, "/public"),
        ("more headers than max_headers", {f"X-H{n}": "1" for n in range(25)}, "/public"),
        ("a request line over max_line_size", {}, "/public?q=" + "x" * 1100),
    ],
)
async def test_a_request_head_over_the_limits_is_a_400_and_the_route_never_runs(
    component: HttpComponent,
    client: aiohttp.ClientSession,
    name: str,
    request_headers: dict[str, str],
    target: str,
) -> None:
    runs: list[Exchange] = []

    async def handler(exchange: Exchange) -> None:
        runs.append(exchange)

    await serve(component, {"http:/public?method=GET": handler})
    async with client.get(f"{component.url}{target}", headers=request_headers) as response:
        assert response.status == 400, name
        assert response.content_type == "text/plain"  # aiohttp's own answer, no handler ran
    async with client.get(f"{component.url}/public") as response:  # within the limits
        assert response.status == 204
    assert len(runs) == 1
