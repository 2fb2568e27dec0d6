"""The batch step (group commit): concurrent exchanges share one processor call, each
goes on with its own result, and one exchange's failure stays its own."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from endpoints.cohort import COHORT, Cohort
from endpoints.exchange import Exchange
from endpoints.redelivery_policy import RedeliveryPolicy
from routes.batch import SIZE_BUCKETS
from routes.definition import dead_letter_channel
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.route import SOURCE_BATCHES, Route
from routes.yaml import RouteConfigError, load_routes
from tests.engine.support import StartRoutes, mock


class Recorder:
    """A batch processor that doubles each body and remembers each call's bodies."""

    def __init__(self) -> None:
        self.calls: list[list[object]] = []

    async def __call__(self, exchanges: Sequence[Exchange]) -> None:
        self.calls.append([exchange.body for exchange in exchanges])
        for exchange in exchanges:
            exchange.body *= 2


async def cohort_member(route: Route, cohort: Cohort, body: object) -> Exchange:
    """An exchange of ``cohort`` through ``route``, leaving it as the consumer does."""
    exchange = Exchange.of(body)
    exchange.properties[COHORT] = cohort
    try:
        await route.handle(exchange)
    finally:
        cohort.left(exchange)
    return exchange


async def send_all(engine: Engine, uri: str, bodies: Sequence[object]) -> list[Exchange]:
    return list(await asyncio.gather(*(engine.send(uri, body) for body in bodies)))


async def test_exchanges_arriving_together_share_one_call_and_each_keeps_its_result(
    run: StartRoutes,
) -> None:
    recorder = Recorder()
    engine = await run(lambda r: r.from_("direct:in").batch(recorder, timeout=5).to("mock:out"))
    sent = await send_all(engine, "direct:in", range(10))
    assert recorder.calls == [list(range(10))]
    assert [exchange.body for exchange in sent] == [2 * n for n in range(10)]
    out = mock(engine, "mock:out").bodies
    assert len(out) == 10
    assert set(out) == {2 * n for n in range(10)}


async def test_a_group_holds_at_most_size_exchanges(run: StartRoutes) -> None:
    recorder = Recorder()
    engine = await run(lambda r: r.from_("direct:in").batch(recorder, size=4, timeout=5))
    await send_all(engine, "direct:in", range(10))
    assert [len(call) for call in recorder.calls] == [4, 4, 2]
    sizes = engine.routes["route1"].metrics.batch_sizes["batch Recorder"]
    assert (sizes.count, sizes.total) == (3, 10)
    assert sizes.buckets[SIZE_BUCKETS.index(2)] == 1
    assert sizes.buckets[SIZE_BUCKETS.index(4)] == 2


async def test_one_exchange_alone_is_not_held_for_the_timeout(run: StartRoutes) -> None:
    recorder = Recorder()
    # An hour's timeout: only the route having nothing else in flight can complete it.
    engine = await run(lambda r: r.from_("direct:in").batch(recorder, timeout=3600))
    async with asyncio.timeout(5):
        sent = await engine.send("direct:in", 21)
    assert sent.body == 42
    assert recorder.calls == [[21]]


async def test_the_timeout_bounds_how_long_an_exchange_waits_for_others(
    run: StartRoutes,
) -> None:
    """With another exchange in flight elsewhere in the route, a group is completed by
    its timeout: no sooner, and long before the other exchange arrives."""
    recorder = Recorder()
    gate = asyncio.Event()

    async def hold_the_first(exchange: Exchange) -> None:
        if exchange.body == "held":
            await gate.wait()

    engine = await run(
        lambda r: r.from_("direct:in").process(hold_the_first).batch(recorder, timeout=0.05)
    )
    held = asyncio.create_task(engine.send("direct:in", "held"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout(5):
            sent = await engine.send("direct:in", 4)
        waited = loop.time() - started
    finally:
        gate.set()
        await held
    assert sent.body == 8
    assert recorder.calls[0] == [4]
    assert 0.05 <= waited < 5


async def test_an_exchange_the_processor_fails_fails_alone(run: StartRoutes) -> None:
    async def refuse_odd(exchanges: Sequence[Exchange]) -> None:
        for exchange in exchanges:
            if exchange.body % 2:
                exchange.exception = ValueError(f"{exchange.body} is odd")
            else:
                exchange.body = "stored"

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .on_exception(ValueError, handled=True)
            .set_body("refused")
            .end()
            .batch(refuse_odd, timeout=5)
            .to("mock:stored")
        )
    )
    sent = await send_all(engine, "direct:in", range(6))
    assert [exchange.body for exchange in sent] == ["stored", "refused"] * 3
    assert all(not exchange.failed for exchange in sent)
    assert mock(engine, "mock:stored").bodies == ["stored"] * 3


async def test_a_processor_error_fails_its_group_and_each_exchange_is_redelivered(
    run: StartRoutes,
) -> None:
    calls: list[int] = []

    async def flaky(exchanges: Sequence[Exchange]) -> None:
        calls.append(len(exchanges))
        if len(calls) == 1:
            raise ConnectionError("store down")
        for exchange in exchanges:
            exchange.body = "stored"

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .on_exception(ConnectionError, redelivery=RedeliveryPolicy(2))
            .end()
            .batch(flaky, timeout=5)
        )
    )
    sent = await send_all(engine, "direct:in", range(3))
    assert [exchange.body for exchange in sent] == ["stored"] * 3
    assert calls[0] == 3  # one group failed; its exchanges came back in later groups
    assert sum(calls[1:]) == 3


async def test_a_batch_step_in_yaml_builds_its_python_twin(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(
        "- route:\n"
        "    id: store\n"
        "    from:\n"
        "      uri: direct:in\n"
        "      steps:\n"
        "        - batch: {process: storeAll, size: 50, timeout: 2}\n"
    )
    twin = RouteBuilder()
    twin.from_("direct:in").route_id("store").batch("storeAll", size=50, timeout=0.002)
    assert load_routes(path).routes == twin.routes


async def test_the_route_graph_shows_a_batch_step_with_its_completion_rules() -> None:
    builder = RouteBuilder()
    builder.from_("direct:in").route_id("store").batch(Recorder(), size=64, timeout=0.003)
    engine = Engine()
    engine.add_routes(builder)
    (graph,) = engine.describe().routes
    (node,) = graph.steps
    assert (node.kind, node.label) == ("batch", "Recorder (up to 64, 3 ms)")


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ("{process: storeAll, size: 0}", "batch.size: must be at least 1"),
        ("{process: storeAll, timeout: -1}", "batch.timeout: -1 is a negative duration"),
        ("{size: 5}", "batch: a batch needs exactly one of process"),
    ],
)
def test_a_bad_batch_step_names_its_route_and_reason(
    tmp_path: Path, step: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    route = "- route:\n    id: store\n    from:\n      uri: direct:in\n      steps:\n"
    path.write_text(f"{route}        - batch: {step}\n")
    with pytest.raises(
        RouteConfigError,
        match=rf"bad.yaml: .*\n  route .store.: from.steps\[0\].{re.escape(problem)}",
    ):
        load_routes(path)


async def test_a_cohort_goes_through_a_batch_step_together_whatever_else_is_in_flight(
    run: StartRoutes,
) -> None:
    """Exchanges a batch consumer handed over at once (a cohort) form their group as
    soon as all of them wait at the step, though another exchange is still in the
    route elsewhere; one that leaves the route early does not hold the others back."""
    recorder = Recorder()
    gate = asyncio.Event()

    async def hold_strays(exchange: Exchange) -> None:
        if exchange.body == "stray":
            await gate.wait()
        elif exchange.body == "early":
            exchange.stopped = True

    engine = await run(
        lambda r: (
            r.from_("direct:in").route_id("r").process(hold_strays).batch(recorder, timeout=3600)
        )
    )
    route = engine.routes["r"]
    stray = asyncio.create_task(engine.send("direct:in", "stray"))  # never reaches the step
    cohort = Cohort(4)

    try:
        async with asyncio.timeout(5):
            done = await asyncio.gather(
                *(cohort_member(route, cohort, body) for body in (1, 2, "early", 3))
            )
    finally:
        gate.set()
        await stray
    assert recorder.calls[0] == [1, 2, 3]  # before the stray was let through
    assert [exchange.body for exchange in done] == [2, 4, "early", 6]


async def test_a_dead_lettered_member_of_a_cohort_does_not_hold_the_others(
    run: StartRoutes,
) -> None:
    """The error handler lets the cohort go of an exchange it sends to its dead letter,
    before the letter's way ends (here it never would): the others' group completes
    at once, and the route counts the batch its source took."""
    recorder = Recorder()
    gate = asyncio.Event()

    def poison(exchange: Exchange) -> None:
        if exchange.body == "poison":
            raise ValueError("unreadable")

    async def held(exchange: Exchange) -> None:
        await gate.wait()

    def build(r: RouteBuilder) -> None:
        r.from_("direct:dead").process(held)
        (
            r.from_("direct:in")
            .route_id("r")
            .error_handler(dead_letter_channel("direct:dead", RedeliveryPolicy(0)))
            .process(poison)
            .batch(recorder, timeout=3600)
        )

    engine = await run(build)
    route = engine.routes["r"]
    cohort = Cohort(3)

    members = [asyncio.create_task(cohort_member(route, cohort, body)) for body in (1, "poison", 2)]
    try:
        async with asyncio.timeout(5):
            one, two = await asyncio.gather(members[0], members[2])
    finally:
        gate.set()
        await members[1]
    assert recorder.calls == [[1, 2]]
    assert [one.body, two.body] == [2, 4]
    taken = route.metrics.batch_sizes[SOURCE_BATCHES]
    assert (taken.count, taken.total) == (1, 3)


async def test_a_batch_step_can_send_its_group_to_an_endpoint(
    run: StartRoutes, tmp_path: Path
) -> None:
    """A producer that cannot send a group at once sends each in turn (mongodb: inserts
    a group in one call; see the component's tests)."""
    engine = await run(lambda r: r.from_("direct:in").batch(to="mock:stored", timeout=5))
    await send_all(engine, "direct:in", range(4))
    assert sorted(int(str(body)) for body in mock(engine, "mock:stored").bodies) == [0, 1, 2, 3]

    path = tmp_path / "routes.yaml"
    route = "- route:\n    from:\n      uri: direct:in\n      steps:\n"
    path.write_text(f"{route}        - batch: {{to: mock:stored, size: 10}}\n")
    twin = RouteBuilder()
    twin.from_("direct:in").batch(to="mock:stored", size=10)
    assert load_routes(path).routes == twin.routes

    described = Engine()
    described.add_routes(twin)
    (graph,) = described.describe().routes
    assert [(node.kind, node.label, node.uris) for node in graph.steps] == [
        ("batch", "to mock:stored (up to 10, 5 ms)", ("mock:stored",))
    ]
