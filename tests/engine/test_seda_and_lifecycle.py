"""seda: queues, concurrency and back-pressure; the engine's start checks and graceful stop."""

from __future__ import annotations

import asyncio

import pytest

from components.seda import SedaQueueFull
from components.timer import (
    TIMER_COUNTER,
    TIMER_NAME,
    TimerComponent,
    TimerConsumer,
    TimerEndpoint,
)
from endpoints.exchange import Exchange
from routes.dsl import RouteBuilder
from routes.engine import Engine, RouteStartError
from tests.engine.support import StartRoutes, mock
from tests.polling import eventually


async def test_seda_consumers_process_concurrently(run: StartRoutes) -> None:
    all_started = asyncio.Event()
    running: list[int] = []

    async def wait_for_peers(exchange: Exchange) -> None:
        running.append(exchange.body)
        if len(running) == 4:
            all_started.set()
        await all_started.wait()  # only returns if 4 run at the same time

    engine = await run(
        lambda r: r.from_("seda:work?concurrentConsumers=4").process(wait_for_peers).to("mock:done")
    )
    for n in range(4):
        await engine.send("seda:work", n)  # another URI of the same queue
    done = await mock(engine, "mock:done").expect(4, within=5)
    assert sorted(exchange.body for exchange in done) == [0, 1, 2, 3]


async def test_seda_fails_fast_when_full_and_not_blocking(run: StartRoutes) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold(exchange: Exchange) -> None:
        entered.set()
        await release.wait()

    uri = "seda:narrow?size=1&blockWhenFull=false"
    engine = await run(lambda r: r.from_(uri).process(hold))
    assert (await engine.send(uri, 1)).exception is None
    await asyncio.wait_for(entered.wait(), 5)  # taken by the consumer
    assert (await engine.send(uri, 2)).exception is None  # queued
    assert isinstance((await engine.send(uri, 3)).exception, SedaQueueFull)
    release.set()


async def test_seda_blocks_producers_when_full(run: StartRoutes) -> None:
    release = asyncio.Event()

    async def hold(exchange: Exchange) -> None:
        await release.wait()

    uri = "seda:narrow?size=1"
    engine = await run(lambda r: r.from_(uri).process(hold).to("mock:done"))
    await engine.send(uri, 1)
    await engine.send(uri, 2)  # waits until the consumer took the first
    third = asyncio.create_task(engine.send(uri, 3))
    await asyncio.sleep(0)  # let it reach the full queue
    assert not third.done()
    release.set()
    async with asyncio.timeout(5):
        await third
    assert len(await mock(engine, "mock:done").expect(3)) == 3


async def test_stop_lets_in_flight_exchanges_finish() -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(exchange: Exchange) -> None:
        entered.set()
        await release.wait()

    builder = RouteBuilder()
    builder.from_("seda:in").route_id("slow").process(slow).to("mock:done")
    engine = Engine()
    engine.add_routes(builder)
    await engine.start()
    await engine.send("seda:in", "in flight")
    await asyncio.wait_for(entered.wait(), 5)

    stopping = asyncio.create_task(engine.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    assert engine.route_status() == {"slow": "Stopping"}
    release.set()
    await asyncio.wait_for(stopping, 5)

    assert mock_bodies(engine) == ["in flight"]
    assert engine.route_status() == {"slow": "Stopped"}
    assert engine.metrics()["slow"]["completed"] == 1


def mock_bodies(engine: Engine) -> list[object]:
    return mock(engine, "mock:done").bodies


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("nosuch:thing", "unknown scheme 'nosuch'"),
        ("seda:q?concurentConsumers=2", "unknown option 'concurentConsumers'"),
        ("seda:q?size=zero", "option 'size': Input should be a valid integer"),
        ("direct:", "direct: needs a name"),
    ],
)
async def test_a_bad_uri_stops_the_start_naming_route_and_uri(uri: str, reason: str) -> None:
    builder = RouteBuilder()
    builder.from_("direct:ok").route_id("fine").to("mock:x")
    builder.from_(uri).route_id("broken").to("mock:x")
    engine = Engine()
    engine.add_routes(builder)
    with pytest.raises(RouteStartError) as raised:
        await engine.start()
    message = str(raised.value)
    assert "route 'broken' (python)" in message
    assert repr(uri) in message
    assert reason in message
    assert "fine" not in message


async def test_an_unbound_reference_and_a_duplicate_id_are_reported_together() -> None:
    builder = RouteBuilder()
    builder.from_("direct:a").route_id("same").process("validateOrder")
    builder.from_("direct:b").route_id("same").to("mock:x")
    engine = Engine()
    engine.bind("somethingElse", lambda ex: None)
    engine.add_routes(builder)
    with pytest.raises(RouteStartError) as raised:
        await engine.start()
    assert "nothing is bound under the name 'validateOrder' (bound: somethingElse)" in str(
        raised.value
    )
    assert "route 'same' (python): duplicate route id" in str(raised.value)


async def test_metrics_count_completed_failed_and_time(run: StartRoutes) -> None:
    def fail_odd(exchange: Exchange) -> None:
        if exchange.body % 2:
            raise ValueError("odd")

    engine = await run(lambda r: r.from_("direct:in").route_id("m").process(fail_odd))
    for n in range(5):
        await engine.send("direct:in", n)
    metrics = engine.metrics()["m"]
    assert (metrics["completed"], metrics["failed"], metrics["in_flight"]) == (3, 2, 0)
    assert metrics["processing_seconds_total"] > 0
    assert metrics["processing_seconds_max"] >= metrics["processing_seconds_mean"]


async def test_timer_ticks_until_stopped(run: StartRoutes) -> None:
    """Camel's timer: period in milliseconds, its counter and name as exchange properties
    when asked for (includeMetadata)."""
    engine = await run(
        lambda r: (
            r.from_("timer:tick?period=10&delay=0&includeMetadata=true")
            .route_id("t")
            .to("mock:ticks")
        )
    )
    ticks = await mock(engine, "mock:ticks").expect(3)
    assert [exchange.properties[TIMER_COUNTER] for exchange in ticks[:3]] == [1, 2, 3]
    assert {exchange.properties[TIMER_NAME] for exchange in ticks} == {"tick"}
    assert {exchange.body for exchange in ticks} == {None}
    await engine.stop()
    assert engine.route_status() == {"t": "Stopped"}


async def test_a_timer_with_a_repeat_count_stops_after_it(run: StartRoutes) -> None:
    engine = await run(
        lambda r: r.from_("timer:three?period=1ms&delay=-1&repeatCount=3").to("mock:ticks")
    )
    consumer = next(iter(engine.routes.values())).consumer
    assert isinstance(consumer, TimerConsumer)
    await eventually(lambda: consumer.done)  # its ticks all fired: no more can come
    ticks = mock(engine, "mock:ticks").received
    assert len(ticks) == 3
    assert all(TIMER_COUNTER not in tick.properties for tick in ticks)  # no includeMetadata


@pytest.mark.parametrize(
    ("given", "milliseconds"),
    [
        ("5000", 5000),
        ("5s", 5000),
        ("1m30s", 90_000),
        ("500ms", 500),
        ("2h", 7_200_000),
        ("1d", 86_400_000),
    ],
)
def test_a_timer_reads_durations_as_camel_does(given: str, milliseconds: float) -> None:
    endpoint = TimerComponent().create_endpoint(f"timer:t?period={given}&delay={given}")
    assert isinstance(endpoint, TimerEndpoint)
    assert (endpoint.options.period, endpoint.options.delay) == (milliseconds, milliseconds)


def test_a_timer_starts_one_second_after_its_route_by_default() -> None:
    endpoint = TimerComponent().create_endpoint("timer:t")
    assert isinstance(endpoint, TimerEndpoint)
    assert (endpoint.options.period, endpoint.options.delay, endpoint.options.repeat_count) == (
        1000,
        1000,
        0,
    )
