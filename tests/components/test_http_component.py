"""The ``http:`` component on real aiohttp servers on 127.0.0.1, called by a real client."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from components.http import (
    FieldError,
    HttpClientError,
    HttpComponent,
    HttpNoResponse,
    HttpServerError,
    HttpTimeout,
    ProblemError,
    path_param,
)
from components.http.consumer import HttpConsumer
from endpoints import headers
from endpoints.base import ConsumerNotSupported
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from routes.dsl import RouteBuilder
from routes.engine import Engine

Handler = Callable[[Exchange], Awaitable[None]]
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
AS_JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def component() -> AsyncIterator[HttpComponent]:
    component = HttpComponent(port=0, shutdown_timeout=5)
    yield component
    await component.stop()


async def serve(component: HttpComponent, routes: dict[str, Handler]) -> list[HttpConsumer]:
    """Create a consumer per URI, then start the server and the consumers."""
    consumers = []
    for uri, handler in routes.items():
        consumer = component.create_endpoint(uri).create_consumer(handler)
        assert isinstance(consumer, HttpConsumer)
        consumers.append(consumer)
    await component.start()
    for consumer in consumers:
        await consumer.start()
    return consumers


async def problem(response: aiohttp.ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    document: dict[str, Any] = await response.json()
    assert document.keys() >= PROBLEM_KEYS
    assert document["status"] == status
    return document


class Order(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    debtor_account: str = Field(min_length=5)
    amount: Decimal = Field(gt=0)
    currency: str = Field(pattern="^[A-Z]{3}$")


# -- consumer: requests in, responses out ------------------------------------------------


async def test_get_route_with_path_param_answers_json_status_and_header(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    seen: list[dict[str, Any]] = []

    async def handler(exchange: Exchange) -> None:
        seen.append(dict(exchange.headers))
        order_id = exchange.headers[path_param("id")]
        exchange.body = {"id": order_id, "amount": Decimal("10.50")}
        exchange.headers[headers.HTTP_STATUS] = 201
        exchange.headers["http.response.Location"] = f"/payment-orders/{order_id}"

    await serve(component, {"http:/payment-orders/{id}?method=GET": handler})
    async with client.get(
        f"{component.url}/payment-orders/po-7?expand=events",
        headers={
            "X-Trace": "t1",
            "http.response.Location": "/evil",
            "X-Redelivery-Counter": "abc",
            "kafka.key": "other",
        },
    ) as response:
        assert response.status == 201
        assert response.headers["Location"] == "/payment-orders/po-7"
        assert await response.json() == {"id": "po-7", "amount": "10.50"}

    [request] = seen
    assert request[headers.HTTP_METHOD] == "GET"
    assert request[headers.HTTP_PATH] == "/payment-orders/po-7"
    assert request[headers.HTTP_QUERY] == {"expand": "events"}
    assert request["x-trace"] == "t1"
    assert "http.response.location" not in request  # a client cannot set response headers
    # nor the engine's own: a count of attempts, the record key of a later hop
    assert request.keys().isdisjoint({headers.REDELIVERY_COUNTER, headers.KAFKA_KEY})


async def test_post_json_reaches_the_route_with_exact_decimals(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    received: list[Any] = []

    async def handler(exchange: Exchange) -> None:
        received.append(exchange.body)
        exchange.body = Order.model_validate(exchange.body)

    await serve(component, {"http:/payment-orders?method=POST": handler})
    raw = b'{"debtorAccount": "DE001", "amount": 1234.10, "currency": "EUR", "count": 3}'
    async with client.post(
        f"{component.url}/payment-orders", data=raw, headers=AS_JSON
    ) as response:
        assert response.status == 200
        assert await response.json() == {
            "debtorAccount": "DE001",
            "amount": "1234.10",
            "currency": "EUR",
        }

    [body] = received
    assert body["amount"] == Decimal("1234.10")
    assert str(body["amount"]) == "1234.10"
    assert body["count"] == 3


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("accepted", "text/plain", b"accepted"),
        (b"\x00\x01", "application/octet-stream", b"\x00\x01"),
        (None, None, b""),
    ],
)
async def test_response_body_is_encoded_by_its_type(
    component: HttpComponent,
    client: aiohttp.ClientSession,
    body: object,
    content_type: str | None,
    expected: bytes,
) -> None:
    async def handler(exchange: Exchange) -> None:
        exchange.body = body

    await serve(component, {"http:/answer": handler})
    async with client.put(f"{component.url}/answer") as response:
        assert response.status == (204 if body is None else 200)
        if content_type:
            assert response.content_type == content_type
        assert await response.read() == expected


async def test_malformed_json_is_a_400_problem_and_the_route_never_runs(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    calls: list[Exchange] = []

    async def handler(exchange: Exchange) -> None:
        calls.append(exchange)

    await serve(component, {"http:/payment-orders?method=POST": handler})
    async with client.post(
        f"{component.url}/payment-orders", data=b'{"amount": 1,}', headers=AS_JSON
    ) as response:
        document = await problem(response, 400)
    assert "malformed json body" in document["detail"]
    assert "line 1 column" in document["detail"]
    assert document["instance"] == "/payment-orders"
    assert calls == []


async def test_a_json_body_naming_a_member_twice_is_a_400_naming_it_and_the_route_never_runs(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    """A reader that keeps the first value and one that keeps the last would see two
    different documents: neither is guessed at."""
    calls: list[Exchange] = []

    async def handler(exchange: Exchange) -> None:
        calls.append(exchange)

    await serve(component, {"http:/payment-orders?method=POST": handler})
    body = b'{"amount": "1.00", "currency": "EUR", "amount": "1000.00"}'
    async with client.post(
        f"{component.url}/payment-orders", data=body, headers=AS_JSON
    ) as response:
        document = await problem(response, 400)
    assert '"amount"' in document["detail"]
    [error] = document["errors"]
    assert (error["field"], error["pointer"]) == ("amount", "#/amount")
    assert "more than once" in error["detail"]
    assert calls == []


async def test_every_repeated_member_is_located_however_deep_and_however_named(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        raise AssertionError("the route must not run")

    await serve(component, {"http:/batches?method=POST": handler})
    body = b'{"items": [{"id": 1}, {"a.b/c": 1, "a.b/c": 2}], "n": {"x": 1, "x": 1, "x": 3}}'
    async with client.post(f"{component.url}/batches", data=body, headers=AS_JSON) as response:
        document = await problem(response, 400)
    assert [(error["field"], error["pointer"]) for error in document["errors"]] == [
        ("items.1.a.b/c", "#/items/1/a.b~1c"),
        ("n.x", "#/n/x"),
    ]
    detail = document["detail"]
    assert 'member "a.b/c" of the object at /items/1 appears more than once (and 1 more)' in detail


async def test_a_body_nested_deeper_than_the_parser_goes_is_a_400_not_a_500(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        raise AssertionError("the route must not run")

    await serve(component, {"http:/deep?method=POST": handler})
    async with client.post(
        f"{component.url}/deep", data=b"[" * 10_000, headers=AS_JSON
    ) as response:
        document = await problem(response, 400)
    assert "nests arrays or objects too deeply" in document["detail"]


@pytest.mark.parametrize(
    ("options", "content_type", "status"),
    [
        ("", "application/json", 200),
        ("", "application/json; charset=UTF-8", 200),
        ("", "application/problem+json", 200),
        ("", "application/json; charset=utf-16", 415),
        ("", "text/plain", 415),
        ("", "text/json", 415),
        ("", None, 415),
        ("&bodyFormat=text", "text/plain; charset=utf-8", 200),
        ("&bodyFormat=text", "text/csv", 200),
        ("&bodyFormat=text", "text/plain; charset=iso-8859-1", 415),
        ("&bodyFormat=text", "application/json", 415),
        ("&bodyFormat=bytes", "application/xml", 200),
        ("&bodyFormat=bytes", None, 200),
        ("&bodyFormat=bytes&consumes=application/xml,text/xml", "text/xml", 200),
        ("&bodyFormat=bytes&consumes=application/xml", "application/xml; charset=utf-8", 200),
        ("&bodyFormat=bytes&consumes=application/xml", "application/xml; charset=latin-1", 415),
        ("&bodyFormat=bytes&consumes=application/xml", "application/json", 415),
        ("&bodyFormat=bytes&consumes=application/xml", None, 415),
        ("&bodyFormat=bytes&consumes=application/*%2Bxml", "application/rss+xml", 200),
        ("&consumes=application/vnd.orders%2Bjson", "application/vnd.orders+json", 200),
        ("&consumes=application/vnd.orders%2Bjson", "application/json", 415),
    ],
)
async def test_a_body_is_read_only_in_a_media_type_its_format_takes_in_utf8(
    component: HttpComponent,
    client: aiohttp.ClientSession,
    options: str,
    content_type: str | None,
    status: int,
) -> None:
    """Every route of the component, the ones to come too: a body read in another charset
    than it was checked in, or a form any web page can send, never reaches a route.
    ``consumes`` as Camel's platform-http (components/platform-http.adoc: "the content
    type this endpoint accepts as an input"): another is a 415."""
    received: list[object] = []

    async def handler(exchange: Exchange) -> None:
        received.append(exchange.body)
        exchange.body = {"read": True}

    await serve(component, {f"http:/in?method=POST{options}": handler})
    sent = {"Content-Type": content_type} if content_type else {}
    async with client.post(
        f"{component.url}/in", data=b'{"a": 1}', headers=sent, skip_auto_headers=["Content-Type"]
    ) as response:
        assert response.status == status
        if status == 415:
            document = await problem(response, 415)
            assert document["errors"][0]["field"] == "Content-Type"
    assert len(received) == (status == 200)


async def test_an_empty_body_needs_no_media_type(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        exchange.body = {"body": exchange.body}

    await serve(component, {"http:/in?method=POST": handler})
    async with client.post(f"{component.url}/in", skip_auto_headers=["Content-Type"]) as response:
        assert (response.status, await response.json()) == (200, {"body": None})


async def test_a_query_parameter_given_twice_is_a_400_naming_it_before_any_route(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        raise AssertionError("the route must not run")

    await serve(component, {"http:/orders?method=GET": handler})
    async with client.get(f"{component.url}/orders?limit=2&state=x&limit=100") as response:
        document = await problem(response, 400)
    assert [error["field"] for error in document["errors"]] == ["limit"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in response.headers


async def test_a_body_over_the_limit_is_a_413_problem(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    sizes: list[int] = []

    async def handler(exchange: Exchange) -> None:
        sizes.append(len(exchange.body))
        exchange.body = None

    await serve(component, {"http:/upload?method=POST&maxBodySize=1024&bodyFormat=bytes": handler})

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(4):
            yield b"x" * 512

    for data in (b"x" * 1025, chunked()):
        async with client.post(f"{component.url}/upload", data=data) as response:
            document = await problem(response, 413)
        assert document["detail"] == "the request body exceeds 1024 bytes"
    async with client.post(f"{component.url}/upload", data=b"x" * 1024) as response:
        assert response.status == 204
    assert sizes == [1024]


def spools() -> set[Path]:
    """The spooled bodies in the temporary directory now."""
    return set(Path(tempfile.gettempdir()).glob("http-body-*"))


async def test_a_file_body_is_spooled_to_disk_and_gone_once_answered(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    """``bodyFormat=file``: the route gets the body as a file of its own, whole, which
    is removed once the route answered, and once a body over the limit was refused."""
    spooled: list[Path] = []

    async def handler(exchange: Exchange) -> None:
        path = exchange.body
        assert isinstance(path, Path)
        spooled.append(path)
        exchange.body = {"size": path.stat().st_size, "tail": path.read_bytes()[-3:].decode()}

    await serve(component, {"http:/files?method=POST&bodyFormat=file&maxBodySize=3000000": handler})
    body = b"x" * 2_500_000 + b"end"
    async with client.post(f"{component.url}/files", data=io.BytesIO(body)) as response:
        assert await response.json() == {"size": len(body), "tail": "end"}
    assert not spooled[0].exists()

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(4):
            yield b"x" * 1_000_000

    before = spools()
    async with client.post(f"{component.url}/files", data=chunked()) as response:
        await problem(response, 413)
    assert spools() <= before
    assert len(spooled) == 1


# -- consumer: errors as problem details ------------------------------------------------


async def test_an_unhandled_error_is_a_500_problem_without_the_traceback(
    component: HttpComponent, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(exchange: Exchange) -> None:
        raise RuntimeError("secret connection string mongodb://admin:pw@db")

    await serve(component, {"http:/boom": handler})
    with caplog.at_level(logging.ERROR, logger="components.http"):
        async with client.get(f"{component.url}/boom") as response:
            text = await response.text()
            document = await problem(response, 500)
    assert "secret" not in text
    assert "Traceback" not in text
    assert document["title"] == "Internal Server Error"
    assert document["instance"] == "/boom"
    [record] = [r for r in caplog.records if r.exc_info]
    assert "secret" in str(record.exc_info[1])  # type: ignore[index]


async def test_a_failed_exchange_is_answered_from_its_exception(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:  # as a route leaves an unhandled error
        exchange.exception = ProblemError(409, "payment order po-1 is already EXECUTED")

    await serve(component, {"http:/conflict": handler})
    async with client.get(f"{component.url}/conflict") as response:
        document = await problem(response, 409)
    assert document["detail"] == "payment order po-1 is already EXECUTED"
    assert document["title"] == "Conflict"


async def test_a_problem_error_answers_its_status_and_fields(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        order_id = exchange.headers[path_param("id")]
        if order_id == "bad":
            raise ProblemError(
                400,
                "the order id is malformed",
                type="https://example.org/problems/bad-id",
                errors=[FieldError("id", "must start with po-")],
            )
        raise ProblemError(404, f"no payment order {order_id}")

    await serve(component, {"http:/payment-orders/{id}?method=GET": handler})
    async with client.get(f"{component.url}/payment-orders/po-404") as response:
        document = await problem(response, 404)
    assert document == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no payment order po-404",
        "instance": "/payment-orders/po-404",
    }
    async with client.get(f"{component.url}/payment-orders/bad") as response:
        document = await problem(response, 400)
    assert document["type"] == "https://example.org/problems/bad-id"
    assert document["errors"] == [
        {"field": "id", "pointer": "#/id", "detail": "must start with po-"}
    ]


async def test_a_pydantic_validation_error_is_a_422_naming_each_bad_field(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        Order.model_validate(exchange.body)

    await serve(component, {"http:/payment-orders?method=POST": handler})
    order = {"debtorAccount": "DE", "amount": "-1", "currency": "euro"}
    async with client.post(f"{component.url}/payment-orders", json=order) as response:
        document = await problem(response, 422)
    errors = {error["field"]: error for error in document["errors"]}
    assert set(errors) == {"debtorAccount", "amount", "currency"}
    assert errors["amount"]["pointer"] == "#/amount"
    assert "greater than 0" in errors["amount"]["detail"]
    assert "-1" not in str(document)  # what the client sent is not echoed


async def test_unknown_path_is_404_and_wrong_method_405_as_problems(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def handler(exchange: Exchange) -> None:
        exchange.body = {}

    await serve(component, {"http:/payment-orders?method=POST": handler})
    async with client.get(f"{component.url}/nowhere") as response:
        document = await problem(response, 404)
    assert document["detail"] == "nothing is served at /nowhere"
    async with client.delete(f"{component.url}/payment-orders") as response:
        document = await problem(response, 405)
        assert response.headers["Allow"] == "POST"
    assert "DELETE is not allowed" in document["detail"]


async def test_application_handlers_share_the_server_and_its_problems(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "UP"})

    async def secured(_: web.Request) -> web.Response:
        raise web.HTTPUnauthorized(headers={"WWW-Authenticate": "Bearer"})

    component.app.router.add_get("/health", health)
    component.app.router.add_get("/secured", secured)
    await component.start()  # no http: route at all: the application's handlers suffice
    async with client.get(f"{component.url}/health") as response:
        assert await response.json() == {"status": "UP"}
    async with client.get(f"{component.url}/secured") as response:
        await problem(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer"


# -- consumer: stopping -------------------------------------------------------------------


async def blocking_route(
    component: HttpComponent,
) -> tuple[HttpConsumer, asyncio.Event, asyncio.Event]:
    """A route that waits for ``release`` once ``entered``."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(exchange: Exchange) -> None:
        entered.set()
        await release.wait()
        exchange.body = {"done": True}

    [consumer] = await serve(component, {"http:/slow": handler})
    return consumer, entered, release


async def test_stopping_the_consumer_lets_the_request_in_flight_finish(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    consumer, entered, release = await blocking_route(component)
    in_flight = asyncio.create_task(client.get(f"{component.url}/slow"))
    async with asyncio.timeout(5):
        await entered.wait()
        stopping = asyncio.create_task(consumer.stop())  # runs before the next request
        async with aiohttp.ClientSession() as other, other.get(f"{component.url}/slow") as refused:
            await problem(refused, 503)
        assert not stopping.done()
        release.set()
        response = await in_flight
        await stopping
    assert response.status == 200
    assert await response.json() == {"done": True}
    response.release()


async def test_stopping_the_component_lets_the_request_in_flight_finish(
    component: HttpComponent, client: aiohttp.ClientSession
) -> None:
    shutting_down = asyncio.Event()

    async def on_shutdown(_: web.Application) -> None:  # aiohttp: the socket is closed
        shutting_down.set()

    component.app.on_shutdown.append(on_shutdown)
    _, entered, release = await blocking_route(component)
    url = f"{component.url}/slow"
    in_flight = asyncio.create_task(client.get(url))
    async with asyncio.timeout(5):
        await entered.wait()
        stopping = asyncio.create_task(component.stop())
        await shutting_down.wait()
        with pytest.raises(aiohttp.ClientConnectionError):
            async with aiohttp.ClientSession() as other, other.get(url):
                pass
        assert not stopping.done()
        release.set()
        response = await in_flight
        await stopping
    assert response.status == 200
    assert await response.json() == {"done": True}
    response.release()


# -- producer: calling another service ----------------------------------------------------


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    """A small payment gateway on a free 127.0.0.1 port; yields its base URL."""
    never = asyncio.Event()

    async def pay(request: web.Request) -> web.Response:
        order = await request.json()
        return web.json_response(
            {"paid": order["amount"], "key": request.headers.get("Idempotency-Key")}, status=201
        )

    async def unavailable(_: web.Request) -> web.Response:
        return web.json_response({"error": "maintenance"}, status=503)

    async def declined(_: web.Request) -> web.Response:
        return web.json_response({"error": "insufficient funds"}, status=422)

    async def hang(_: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/pay", pay)
    app.router.add_post("/unavailable", unavailable)
    app.router.add_post("/declined", declined)
    app.router.add_post("/hang", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    never.set()
    await runner.cleanup()


async def call(component: HttpComponent, uri: str, exchange: Exchange) -> None:
    endpoint = component.create_endpoint(uri)
    producer = endpoint.create_producer()
    await endpoint.start()
    await producer.start()
    await producer.process(exchange)


async def test_producer_posts_json_and_takes_the_json_answer(
    component: HttpComponent, gateway: str
) -> None:
    exchange = Exchange.of(
        {"amount": Decimal("99.99")}, {"http.request.Idempotency-Key": "po-1", "other": "kept"}
    )

    await call(component, f"{gateway}/pay?method=POST&timeout=5", exchange)

    assert exchange.body == {"paid": "99.99", "key": "po-1"}
    assert exchange.headers[headers.HTTP_STATUS] == 201
    assert exchange.headers[headers.HTTP_CONTENT_TYPE] == "application/json"


async def test_producer_raises_by_kind_of_failure_and_keeps_the_exchange(
    component: HttpComponent, gateway: str
) -> None:
    order = {"amount": Decimal("1.00")}
    exchange = Exchange.of(order)

    with pytest.raises(HttpServerError) as server_error:
        await call(component, f"{gateway}/unavailable", exchange)
    assert server_error.value.status == 503
    assert server_error.value.body == {"error": "maintenance"}
    assert exchange.body == order  # a redelivery sends the same request
    assert headers.HTTP_STATUS not in exchange.headers

    with pytest.raises(HttpClientError) as client_error:
        await call(component, f"{gateway}/declined", exchange)
    assert client_error.value.status == 422

    with pytest.raises(HttpTimeout, match=r"no answer within 0\.2s") as timed_out:
        await call(component, f"{gateway}/hang?timeout=0.2", exchange)
    assert isinstance(timed_out.value, HttpNoResponse)
    assert timed_out.value.timeout == 0.2

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    with pytest.raises(HttpNoResponse) as refused:
        await call(component, f"http://127.0.0.1:{closed_port}/pay", exchange)
    assert refused.value.status is None


async def test_a_failed_call_names_its_url_without_the_credentials(
    component: HttpComponent, gateway: str
) -> None:
    """Its message reaches logs and dead-letter headers: operators see where, not how to
    log in."""
    with_credentials = gateway.replace("http://", "http://user:secret@")

    with pytest.raises(HttpServerError) as failed:
        await call(component, f"{with_credentials}/unavailable", Exchange.of({"amount": "1"}))

    assert str(failed.value).startswith(f"{gateway.replace('http://', 'http://***@')}/unavailable:")
    assert "secret" not in str(failed.value)
    assert failed.value.url == f"{with_credentials}/unavailable"  # the call's own, unmasked


async def test_producer_can_keep_an_error_answer_as_the_body(
    component: HttpComponent, gateway: str
) -> None:
    exchange = Exchange.of({"amount": "1"})

    await call(component, f"{gateway}/declined?throwExceptionOnFailure=false", exchange)

    assert exchange.body == {"error": "insufficient funds"}
    assert exchange.headers[headers.HTTP_STATUS] == 422


# -- URIs and options ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http:orders", "needs a path to serve"),
        ("http:/orders?method=FETCH", "option 'method'"),
        ("http:/orders?bogus=1", "unknown option 'bogus'"),
        ("http:/orders?maxBodySize=-1", "option 'maxBodySize'"),
        ("http:/orders?timeout=5", "['timeout'] apply only to calls"),
        ("http://127.0.0.1:9/pay?bodyFormat=text", "['bodyFormat'] apply only to served routes"),
        ("http://127.0.0.1:9/pay?timeout=0", "option 'timeout'"),
        ("http://:80/pay", "host is required"),
    ],
)
def test_bad_uris_and_options_are_endpoint_errors(
    component: HttpComponent, uri: str, reason: str
) -> None:
    with pytest.raises(EndpointError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        component.create_endpoint(uri)


async def test_serving_and_calling_endpoints_refuse_the_other_role(
    component: HttpComponent,
) -> None:
    async def handler(exchange: Exchange) -> None:
        return None

    with pytest.raises(EndpointError, match="served, not sent to"):
        component.create_endpoint("http:/orders").create_producer()
    with pytest.raises(ConsumerNotSupported):
        component.create_endpoint("http://127.0.0.1:9/pay").create_consumer(handler)
    component.create_endpoint("http:/orders?method=GET").create_consumer(handler)
    with pytest.raises(EndpointError, match="cannot serve GET /orders"):
        component.create_endpoint("http:/orders?method=GET&bodyFormat=text").create_consumer(
            handler
        )
    await component.start()
    with pytest.raises(EndpointError, match="cannot serve POST /late"):
        component.create_endpoint("http:/late?method=POST").create_consumer(handler)


# -- through the engine -------------------------------------------------------------------


async def test_a_route_served_through_the_engine(client: aiohttp.ClientSession) -> None:
    component = HttpComponent(port=0)

    def lookup(exchange: Exchange) -> None:
        order_id = exchange.headers[path_param("id")]
        if order_id == "missing":
            raise ProblemError(404, f"no payment order {order_id}")
        exchange.body = {"id": order_id, "status": "PENDING"}

    builder = RouteBuilder()
    builder.from_("http:/payment-orders/{id}?method=GET").route_id("get-order").process(lookup)
    engine = Engine()
    engine.add_component("http", component)
    engine.add_routes(builder)
    await engine.start()
    try:
        async with client.get(f"{component.url}/payment-orders/po-1") as response:
            assert response.status == 200
            assert await response.json() == {"id": "po-1", "status": "PENDING"}
        async with client.get(f"{component.url}/payment-orders/missing") as response:
            await problem(response, 404)
    finally:
        await engine.stop()
