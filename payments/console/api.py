"""Serves the console page, its scripts and stylesheet (package data: no build step and
nothing from a CDN), and the JSON only the console needs: orders counted by state, the
route map and the routes' live metrics. Orders and timelines come from the public API.
"""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler

from components.http import ProblemError
from payments.model import OrderStatus
from payments.store import OrderStore, StoreUnavailable
from routes.engine import Engine

CONSOLE_PATH = "/console"
_ASSETS = {
    "console.html": "text/html",
    "console.js": "text/javascript",
    "diagram.js": "text/javascript",
    "console.css": "text/css",
}
# The page runs only its own script and style; data is drawn with textContent.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def add_console(app: web.Application, engine: Engine, store: OrderStore) -> None:
    static = resources.files(__package__) / "static"
    for name, content_type in _ASSETS.items():
        path = CONSOLE_PATH if name == "console.html" else f"{CONSOLE_PATH}/{name}"
        app.router.add_get(path, _asset((static / name).read_bytes(), content_type))

    async def counts(_: web.Request) -> web.Response:
        try:
            found = await store.count_by_status()
        except StoreUnavailable:
            raise ProblemError(503, "the payment order store is not answering") from None
        by_state = {status.value: found.get(status, 0) for status in OrderStatus}
        return web.json_response({"counts": by_state, "total": sum(by_state.values())})

    async def route_map(_: web.Request) -> web.Response:
        return web.json_response(asdict(engine.describe()))

    async def route_metrics(_: web.Request) -> web.Response:
        return web.json_response({"status": engine.route_status(), "metrics": engine.metrics()})

    app.router.add_get(CONSOLE_PATH + "/api/counts", counts)
    app.router.add_get(CONSOLE_PATH + "/api/routes", route_map)
    app.router.add_get(CONSOLE_PATH + "/api/routes/metrics", route_metrics)


def _asset(body: bytes, content_type: str) -> Handler:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=_HEADERS)

    return serve
