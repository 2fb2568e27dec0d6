"""Serves the console page, its scripts and stylesheet (package data: no build step and
nothing from a CDN), and the JSON the console needs: orders counted by state, every
client's orders and timelines (the API's read side, with no client filter), every
client's payment files and their transfers, the route map and the routes' live
metrics. Only operators reach it once clients are configured (see
``payments.service.access``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from importlib import resources

from aiohttp import web
from aiohttp.typedefs import Handler
from aiokafka.errors import KafkaConnectionError

from components.http import ProblemError
from endpoints.json_codec import encode_json
from payments.api.queries import (
    PageQuery,
    find_order,
    find_page,
    history_of,
    limit_problem,
    parse_limit,
)
from payments.domain.files import PaymentFile
from payments.domain.model import OrderStatus
from payments.domain.store import OrderStore, StoreUnavailable
from payments.files.report import FileReceipt, FileReports
from payments.operations.dead_letters import DeadLetter, NoDeadLetters
from payments.operations.reconciliation import Reconciler
from routes.engine import Engine

CONSOLE_PATH = "/console"
DEAD_LETTERS_SHOWN, MAX_DEAD_LETTERS = 50, 500
FILES_SHOWN = 50  # the newest payment files, of every client
# The newest dead letters, at most this many, newest first.
DeadLetterSource = Callable[[int], Awaitable[list[DeadLetter]]]
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


def add_console(
    app: web.Application,
    engine: Engine,
    store: OrderStore,
    reconciler: Reconciler | None = None,
    dead_letters: DeadLetterSource | None = None,
    files: FileReports | None = None,
) -> None:
    """``reconciler``: the periodic reconciliation (RECONCILE_PERIOD), whose last report
    ``/reconciliation`` serves; ``dead_letters``: the newest records of the DLT (none on
    the embedded default), which ``/dead-letters`` lists; ``files``: every client's
    payment files, which ``/files`` lists and ``/files/{id}`` opens."""
    static = resources.files(__package__) / "static"
    for name, content_type in _ASSETS.items():
        path = CONSOLE_PATH if name == "console.html" else f"{CONSOLE_PATH}/{name}"
        app.router.add_get(path, _asset((static / name).read_bytes(), content_type))

    async def counts(_: web.Request) -> web.Response:
        found = await store.count_by_status()
        by_state = {status.value: found.get(status, 0) for status in OrderStatus}
        return web.json_response({"counts": by_state, "total": sum(by_state.values())})

    async def route_map(_: web.Request) -> web.Response:
        return web.json_response(asdict(engine.describe()))

    async def route_metrics(_: web.Request) -> web.Response:
        return web.json_response({"status": engine.route_status(), "metrics": engine.metrics()})

    async def orders(request: web.Request) -> web.Response:
        return _json(await find_page(store, PageQuery.parse(request.query), None))

    async def order(request: web.Request) -> web.Response:
        return _json(await find_order(store, request.match_info["id"], None))

    async def history(request: web.Request) -> web.Response:
        return _json(history_of(await find_order(store, request.match_info["id"], None)))

    async def reconciliation(_: web.Request) -> web.Response:
        if reconciler is None:
            raise ProblemError(404, "reconciliation is off: set RECONCILE_PERIOD")
        if reconciler.last is None:
            raise ProblemError(404, "no reconciliation has run yet")
        return _json(reconciler.last)

    async def letters(request: web.Request) -> web.Response:
        if dead_letters is None:
            raise ProblemError(404, "the embedded default keeps no dead letters")
        limit = parse_limit(request.query.get("limit", str(DEAD_LETTERS_SHOWN)), MAX_DEAD_LETTERS)
        if limit is None:
            problem = limit_problem(MAX_DEAD_LETTERS)
            raise ProblemError(400, "invalid query parameters", errors=[problem])
        try:
            found = await dead_letters(limit)
        except (KafkaConnectionError, NoDeadLetters) as error:
            raise ProblemError(503, f"the dead letters cannot be read: {error}") from None
        return _json({"items": [letter.summary() for letter in found]})

    async def file_list(_: web.Request) -> web.Response:
        if files is None:
            raise ProblemError(404, "this service takes no payment files")
        found = await files.files.list(None, FILES_SHOWN)
        return _json({"items": [_listed(file) for file in found]})

    async def file_summary(request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        file = None if files is None else await files.files.get(file_id)
        if files is None or file is None:
            raise ProblemError(404, f"no payment file {file_id}")
        return _json(files.summary(await files.state(file)))

    api = CONSOLE_PATH + "/api"
    for path, handler in [
        ("/orders", orders),
        ("/orders/{id}", order),
        ("/orders/{id}/history", history),
        ("/counts", counts),
        ("/routes", route_map),
        ("/routes/metrics", route_metrics),
        ("/reconciliation", reconciliation),
        ("/dead-letters", letters),
        ("/files", file_list),
        ("/files/{id}", file_summary),
    ]:
        app.router.add_get(api + path, _answering_503(handler))


def _listed(file: PaymentFile) -> dict[str, object]:
    """A file as the console lists it: whose, which message, how many transfers."""
    return {
        **FileReceipt.of(file).model_dump(mode="json", by_alias=True),
        "clientId": file.client_id,
    }


def _json(body: object) -> web.Response:
    return web.Response(body=encode_json(body), content_type="application/json")


def _answering_503(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except StoreUnavailable:
            raise ProblemError(503, "the payment order store is not answering") from None

    return guarded


def _asset(body: bytes, content_type: str) -> Handler:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=_HEADERS)

    return serve
