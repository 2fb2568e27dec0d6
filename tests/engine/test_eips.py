"""Each enterprise integration pattern of the DSL, on in-process endpoints."""

from __future__ import annotations

import logging

import pytest

from endpoints import headers
from endpoints.exchange import Exchange
from routes.expressions import body, constant, header
from routes.idempotent import MemoryIdempotentRepository
from routes.simple import simple
from tests.engine.support import StartRoutes, mock


async def test_process_accepts_plain_and_async_callables(run: StartRoutes) -> None:
    async def double(exchange: Exchange) -> None:
        exchange.body *= 2

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .process(lambda ex: setattr(ex, "body", ex.body + 1))
            .process(double)
            .to("mock:out")
        )
    )
    await engine.send("direct:in", 20)
    assert mock(engine, "mock:out").bodies == [42]


async def test_to_several_endpoints_in_order(run: StartRoutes) -> None:
    engine = await run(lambda r: r.from_("direct:in").to("mock:a", "mock:b"))
    await engine.send("direct:in", "x")
    assert mock(engine, "mock:a").bodies == ["x"]
    assert mock(engine, "mock:b").bodies == ["x"]


async def test_set_header_set_body_and_transform(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .set_header("kind", body("kind"))
            .set_header("fixed", 7)
            .transform(simple("${header.kind}-${header.fixed}"))
            .to("mock:transformed")
            .set_body(constant("replaced"))
            .to("mock:out")
        )
    )
    await engine.send("direct:in", {"kind": "urgent"})
    transformed = mock(engine, "mock:transformed").received[0]
    assert transformed.body == "urgent-7"
    assert transformed.headers.pop(headers.CORRELATION_ID)  # every exchange gets one
    transformed.headers.pop("traceparent", None)  # there when a test configured tracing
    assert transformed.headers == {"kind": "urgent", "fixed": 7}
    assert mock(engine, "mock:out").bodies == ["replaced"]


async def test_remove_headers_drops_what_matches_but_what_is_kept(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .remove_headers("*", "x-correlation-id", "keep-*")
            .to("mock:bare")
            .set_header("x-a", 1)
            .set_header("x-b", 2)
            .set_header("X-c", 3)
            .remove_headers("x-*")
            .to("mock:out")
        )
    )
    sent = {"user-agent": "curl", "keep-me": "yes", "keeper": "no", headers.CORRELATION_ID: "c-1"}
    await engine.send("direct:in", "x", sent)
    bare = mock(engine, "mock:bare").received[0].headers
    bare.pop("traceparent", None)  # there when a test configured tracing
    assert bare == {"keep-me": "yes", headers.CORRELATION_ID: "c-1"}
    out = mock(engine, "mock:out").received[0].headers
    out.pop("traceparent", None)
    assert out.keys() == {"keep-me"}  # patterns match without regard to case, as Camel's


async def test_log_renders_a_simple_template(
    run: StartRoutes, caplog: pytest.LogCaptureFixture
) -> None:
    engine = await run(lambda r: r.from_("direct:in").route_id("greeter").log("hello ${body}"))
    with caplog.at_level(logging.INFO, logger="greeter"):
        await engine.send("direct:in", "world")
    assert [record.getMessage() for record in caplog.records] == ["hello world"]


async def test_filter_runs_its_block_only_for_matches(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .filter(simple("${body.amount} > 100"))
            .to("mock:big")
            .end()
            .to("mock:all")
        )
    )
    for amount in (50, 150, 500):
        await engine.send("direct:in", {"amount": amount})
    assert mock(engine, "mock:big").bodies == [{"amount": 150}, {"amount": 500}]
    assert len(mock(engine, "mock:all").received) == 3


async def test_choice_takes_the_first_matching_when_or_otherwise(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .choice()
            .when(simple("${header.kind} == 'a'"))
            .to("mock:a")
            .when(simple("${header.kind} in 'b,c'"))
            .to("mock:bc")
            .otherwise()
            .to("mock:other")
            .end()
            .to("mock:after")
        )
    )
    for kind in ("a", "b", "c", "z"):
        await engine.send("direct:in", kind, {"kind": kind})
    assert mock(engine, "mock:a").bodies == ["a"]
    assert mock(engine, "mock:bc").bodies == ["b", "c"]
    assert mock(engine, "mock:other").bodies == ["z"]
    assert mock(engine, "mock:after").bodies == ["a", "b", "c", "z"]


async def test_wire_tap_sends_a_copy_without_waiting(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in").wire_tap("mock:tap").set_body(constant("changed")).to("mock:out")
        )
    )
    await engine.send("direct:in", "original")
    assert mock(engine, "mock:out").bodies == ["changed"]
    tapped = await mock(engine, "mock:tap").expect(1)
    assert [exchange.body for exchange in tapped] == ["original"]


async def test_idempotent_consumer_runs_once_per_key(run: StartRoutes) -> None:
    repository = MemoryIdempotentRepository()
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .idempotent_consumer(header("id"), repository)
            .to("mock:once")
            .end()
            .to("mock:all")
        )
    )
    results = [await engine.send("direct:in", n, {"id": f"k{n % 2}"}) for n in range(4)]
    assert mock(engine, "mock:once").bodies == [0, 1]
    assert [ex.properties.get(headers.DUPLICATE_MESSAGE, False) for ex in results] == [
        False,
        False,
        True,
        True,
    ]
    # A duplicate skips the block and goes on after it, as Camel's skipDuplicate does.
    assert mock(engine, "mock:all").bodies == [0, 1, 2, 3]


async def test_idempotent_consumer_forgets_the_key_when_the_block_fails(run: StartRoutes) -> None:
    repository = MemoryIdempotentRepository()
    attempts: list[int] = []

    def fail_first(exchange: Exchange) -> None:
        attempts.append(exchange.body)
        if len(attempts) == 1:
            raise RuntimeError("transient")

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .idempotent_consumer(header("id"), repository)
            .process(fail_first)
            .to("mock:done")
        )
    )
    first = await engine.send("direct:in", 1, {"id": "k"})
    second = await engine.send("direct:in", 2, {"id": "k"})
    assert isinstance(first.exception, RuntimeError)
    assert second.exception is None
    assert mock(engine, "mock:done").bodies == [2]
    assert await repository.contains("k")


async def test_direct_returns_the_reply_of_the_called_route(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in").to("direct:upper").set_body(simple("reply: ${body}")),
            r.from_("direct:upper").transform(lambda ex: ex.body.upper()),
        )
    )
    exchange = await engine.send("direct:in", "hi")
    assert exchange.body == "reply: HI"
