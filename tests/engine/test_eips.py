"""Each enterprise integration pattern of the DSL, on in-process endpoints."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from endpoints import headers
from endpoints.exchange import Exchange
from endpoints.redelivery_policy import RedeliveryPolicy
from routes.dsl import RouteBuilder
from routes.expressions import body, constant, header
from routes.idempotent import MemoryIdempotentRepository
from routes.simple import simple
from routes.steps import EnrichStep
from routes.yaml import load_routes
from tests.engine.support import RecordingSleeper, StartRoutes, mock


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


# -- enrich and aggregateOnException ------------------------------------------------------
# Camel's enrich EIP page (eips/enrich-eip.adoc; its option table comes from
# camel-core-model's enrich.json): off, a failure to get the resource skips the
# strategy; on, the strategy is called and decides what the failure comes to.


class RatesUnavailable(Exception):
    """What a strategy makes of the resource's failure in the tests below."""


class RatesDown:
    """The resource route's step: counts its calls and fails each with ConnectionError."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, exchange: Exchange) -> None:
        self.calls += 1
        raise ConnectionError(f"rates down ({self.calls})")


class Recorded:
    """An aggregation strategy that remembers the resource exchange it was given."""

    def __init__(self, merge: Callable[[Exchange, Exchange], Exchange]) -> None:
        self.merge = merge
        self.resources: list[Exchange] = []

    def __call__(self, gathered: Exchange | None, incoming: Exchange) -> Exchange:
        assert gathered is not None  # enrich always has the exchange it enriches
        self.resources.append(incoming)  # the resource exchange
        return self.merge(gathered, incoming)


def fall_back(original: Exchange, resource: Exchange) -> Exchange:
    """Camel's EnricherAggregateOnExceptionTest strategy: the error's message as the body."""
    error = resource.exception
    original.body = f"{original.body}: {error}" if error is not None else resource.body
    return original


def rethrow_as_rates_unavailable(original: Exchange, resource: Exchange) -> Exchange:
    """Puts another error in place of the resource's, on the exchange it answers."""
    original.exception = RatesUnavailable(f"no rates for {original.body}: {resource.exception}")
    return original


def enriching(
    strategy: Recorded | None, rates: RatesDown, *, aggregate_on_exception: bool
) -> Callable[[RouteBuilder], object]:
    return lambda r: (
        r.from_("direct:in")
        .enrich("direct:rates", strategy, aggregate_on_exception=aggregate_on_exception)
        .to("mock:out"),
        r.from_("direct:rates").to("mock:rates").process(rates),
    )


async def test_enrich_fails_where_its_resource_fails_and_calls_no_strategy(
    run: StartRoutes,
) -> None:
    rates, strategy = RatesDown(), Recorded(fall_back)
    engine = await run(enriching(strategy, rates, aggregate_on_exception=False))
    exchange = await engine.send("direct:in", "order")
    assert isinstance(exchange.exception, ConnectionError)
    assert strategy.resources == []  # Camel's default: the strategy is not called
    assert rates.calls == 1
    assert mock(engine, "mock:out").received == []


async def test_aggregate_on_exception_gives_the_strategy_the_failure_to_recover_from(
    run: StartRoutes,
) -> None:
    rates, strategy = RatesDown(), Recorded(fall_back)
    engine = await run(enriching(strategy, rates, aggregate_on_exception=True))
    exchange = await engine.send("direct:in", "order")
    assert exchange.exception is None
    [resource] = strategy.resources
    assert isinstance(resource.exception, ConnectionError)  # Camel's newExchange.getException()
    assert mock(engine, "mock:out").bodies == ["order: rates down (1)"]
    assert exchange.body == "order: rates down (1)"


async def test_aggregate_on_exception_without_a_strategy_keeps_the_failure(
    run: StartRoutes,
) -> None:
    """Camel's default strategy copies the resource exchange over, its exception too."""
    rates = RatesDown()
    engine = await run(enriching(None, rates, aggregate_on_exception=True))
    exchange = await engine.send("direct:in", "order")
    assert isinstance(exchange.exception, ConnectionError)
    assert mock(engine, "mock:out").received == []


async def test_aggregate_on_exception_merges_a_reply_as_without_it(run: StartRoutes) -> None:
    strategy = Recorded(fall_back)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .enrich("direct:rates", strategy, aggregate_on_exception=True)
            .to("mock:out"),
            r.from_("direct:rates").set_body(simple("rates for ${body}")),
        )
    )
    exchange = await engine.send("direct:in", "order")
    assert exchange.exception is None
    assert [resource.exception for resource in strategy.resources] == [None]
    assert mock(engine, "mock:out").bodies == ["rates for order"]


async def test_a_failure_the_strategy_puts_in_place_fails_the_step_and_is_redelivered(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    rates, strategy = RatesDown(), Recorded(rethrow_as_rates_unavailable)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("pricing")
            # The policy names the strategy's error, not the resource's.
            .on_exception(RatesUnavailable, redelivery=RedeliveryPolicy(2, redelivery_delay=1))
            .end()
            .to("mock:before")
            .enrich("direct:rates", strategy, aggregate_on_exception=True)
            .to("mock:out"),
            r.from_("direct:rates").process(rates),
        )
    )
    exchange = await engine.send("direct:in", "order")
    assert isinstance(exchange.exception, RatesUnavailable)
    assert str(exchange.exception) == "no rates for order: rates down (3)"
    # The enrich step was redelivered, so the resource was called again each time.
    assert rates.calls == 3
    assert len(strategy.resources) == 3
    assert len(sleeper.delays) == 2
    assert exchange.headers[headers.REDELIVERY_COUNTER] == 2
    assert len(mock(engine, "mock:before").received) == 1
    assert mock(engine, "mock:out").received == []


async def test_a_policy_handles_the_failure_the_strategy_puts_in_place(run: StartRoutes) -> None:
    rates = RatesDown()
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .on_exception(RatesUnavailable, handled=True)
            .set_body(simple("handled: ${exception.message}"))
            .end()
            .enrich(
                "direct:rates", Recorded(rethrow_as_rates_unavailable), aggregate_on_exception=True
            )
            .to("mock:out"),
            r.from_("direct:rates").process(rates),
        )
    )
    exchange = await engine.send("direct:in", "order")
    assert exchange.exception is None
    assert exchange.body == "handled: no rates for order: rates down (1)"
    assert mock(engine, "mock:out").received == []


YAML_ENRICH = """\
- route:
    id: pricing
    from:
      uri: direct:in
      steps:
        - enrich:
            constant: direct:rates
            aggregationStrategy: "#fallBack"
            aggregateOnException: {flag}
        - to: mock:out
- route:
    id: rates
    from:
      uri: direct:rates
      steps:
        - to: mock:rates
        - throwException:
            exceptionType: java.lang.IllegalArgumentException
            message: I cannot do this
"""


@pytest.mark.parametrize(
    ("flag", "body", "error"),
    [("true", "order: I cannot do this", None), ("false", None, ValueError)],
    ids=["aggregateOnException: true", "aggregateOnException: false"],
)
async def test_aggregate_on_exception_in_yaml(
    run: StartRoutes,
    tmp_path: Path,
    flag: str,
    body: str | None,
    error: type[Exception] | None,
) -> None:
    path = tmp_path / "enrich.yaml"
    path.write_text(YAML_ENRICH.format(flag=flag), encoding="utf-8")
    [definition, _] = load_routes(path).routes
    step = definition.steps[0]
    assert isinstance(step, EnrichStep)
    assert step.aggregate_on_exception is (flag == "true")

    strategy = Recorded(fall_back)
    engine = await run(lambda r: load_routes(path, into=r), beans={"fallBack": strategy})
    exchange = await engine.send("direct:in", "order")
    assert len(mock(engine, "mock:rates").received) == 1
    if error is None:
        assert exchange.exception is None
        assert mock(engine, "mock:out").bodies == [body]
        assert isinstance(strategy.resources[0].exception, ValueError)
    else:
        assert isinstance(exchange.exception, error)
        assert strategy.resources == []
        assert mock(engine, "mock:out").received == []
