"""The splitter: each item of a list goes through the block as an exchange of its own;
the exchange that was split goes on as it was, failed if an item failed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from endpoints.exchange import Exchange
from endpoints.headers import SPLIT_COMPLETE, SPLIT_SIZE
from routes.dsl import RouteBuilder
from routes.eips.splitter import STREAMING_IN_FLIGHT
from routes.engine import Engine
from routes.expressions import body, header
from routes.simple import simple
from routes.yaml import load_routes
from tests.engine.support import StartRoutes, mock


async def test_each_item_goes_through_the_block_with_the_exchanges_headers(
    run: StartRoutes,
) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .split(body())
            .set_header("item", body())
            .to("mock:items")
            .end()
            .to("mock:after")
        )
    )
    sent = await engine.send("direct:in", [1, 2, 3], {"batch": "b-1"})
    assert sent.exception is None
    items = mock(engine, "mock:items").received
    assert [(e.body, e.headers["item"], e.headers["batch"]) for e in items] == [
        (1, 1, "b-1"),
        (2, 2, "b-1"),
        (3, 3, "b-1"),
    ]
    assert mock(engine, "mock:after").bodies == [[1, 2, 3]]  # it goes on as it was


async def test_parallel_items_run_at_once(run: StartRoutes) -> None:
    """In parallel, the items reach a batch step together and share its one call."""
    calls: list[list[object]] = []

    async def together(exchanges: Sequence[Exchange]) -> None:
        calls.append([exchange.body for exchange in exchanges])

    def routes(r: RouteBuilder) -> None:
        r.from_("direct:in").split(body(), parallel_processing=True).to("direct:store").end()
        r.from_("direct:store").batch(together, size=10, timeout=5)

    engine = await run(routes)
    sent = await asyncio.wait_for(engine.send("direct:in", ["a", "b", "c"]), 2)
    assert sent.exception is None
    assert calls == [["a", "b", "c"]]


async def test_a_failed_item_fails_the_exchange_once_every_item_ran(run: StartRoutes) -> None:
    def refuse_two(exchange: Exchange) -> None:
        if exchange.body == 2:
            raise ValueError("two is refused")

    engine = await run(
        lambda r: r.from_("direct:in").split(body()).process(refuse_two).to("mock:items").end()
    )
    sent = await engine.send("direct:in", [1, 2, 3])
    assert isinstance(sent.exception, ValueError)
    assert str(sent.exception) == "two is refused"
    assert mock(engine, "mock:items").bodies == [1, 3]


@pytest.mark.parametrize(
    ("value", "delimiter", "parts"),
    [
        (None, ",", []),
        ("a,b,,c", ",", ["a", "b", "c"]),
        ("a;b", ";", ["a", "b"]),
        ("a,b", "false", ["a,b"]),
        ([1, 2], "single", [[1, 2]]),
        (7, ",", [7]),
    ],
    ids=["nothing", "a text at commas", "another delimiter", "false", "single", "one value"],
)
async def test_a_split_iterates_what_it_is_given_as_camels_splitter_does(
    run: StartRoutes, value: object, delimiter: str, parts: list[object]
) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .split(header("items"), delimiter=delimiter)
            .to("mock:parts")
            .end()
            .to("mock:after")
        )
    )
    sent = await engine.send("direct:in", "whole", {"items": value})
    assert sent.exception is None
    assert mock(engine, "mock:parts").bodies == parts
    assert mock(engine, "mock:after").bodies == ["whole"]


def test_a_split_in_yaml_builds_its_python_twin_and_is_drawn_with_its_block(
    tmp_path: Path,
) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(
        "- route:\n"
        "    id: fan-out\n"
        "    from:\n"
        "      uri: direct:in\n"
        "      steps:\n"
        "        - split:\n"
        "            simple: ${body}\n"
        "            parallelProcessing: true\n"
        "            steps:\n"
        "              - to: direct:each\n"
    )
    twin = RouteBuilder()
    (
        twin.from_("direct:in")
        .route_id("fan-out")
        .split(simple("${body}"), parallel_processing=True)
        .to("direct:each")
    )
    assert load_routes(path).routes == twin.routes

    engine = Engine()
    engine.add_routes(twin)
    (graph,) = engine.describe().routes
    (node,) = graph.steps
    assert (node.kind, node.label) == ("split", "each of ${body}, in parallel")
    assert [(inner.kind, inner.label) for inner in node.steps] == [("to", "direct:each")]
    assert graph.sends_to() == ["direct:each"]


async def test_a_streaming_split_takes_items_as_the_parts_run(run: StartRoutes) -> None:
    """Camel's streaming (eips/split-eip.adoc, ``streaming``: "splits the original
    message on-demand"; CamelSplitSize on the last part only): the items are taken one
    at a time, so a generator is never read ahead of its parts."""
    taken: list[int] = []

    def items() -> Iterator[int]:
        for item in range(4):
            taken.append(item)
            yield item

    seen: list[tuple[int, int, object, bool]] = []

    def note(exchange: Exchange) -> None:
        props = exchange.properties
        # The one item ahead that tells the last part it is the last.
        seen.append((exchange.body, len(taken), props.get(SPLIT_SIZE), props[SPLIT_COMPLETE]))

    engine = await run(
        lambda r: r.from_("direct:in").split(header("items"), streaming=True).process(note).end()
    )
    sent = await engine.send("direct:in", "whole", {"items": items()})
    assert sent.exception is None
    assert seen == [(0, 2, None, False), (1, 3, None, False), (2, 4, None, False), (3, 4, 4, True)]


async def test_a_parallel_streaming_split_runs_a_bounded_number_of_parts_at_once(
    run: StartRoutes,
) -> None:
    """However many items, no more than Camel's default pool runs and queues at once;
    the strategy gathers each part as it ends, "in the order they come back"
    (eips/split-eip.adoc, ``streaming``); here a count, not the parts."""
    running = high = 0
    items = STREAMING_IN_FLIGHT * 3

    async def slow(exchange: Exchange) -> None:
        nonlocal running, high
        running += 1
        high = max(high, running)
        await asyncio.sleep(0)
        running -= 1

    def count(gathered: Exchange | None, incoming: Exchange) -> Exchange:
        if gathered is None:
            incoming.body = 1
            return incoming
        gathered.body += 1
        return gathered

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .split(
                header("items"),
                streaming=True,
                parallel_processing=True,
                aggregation_strategy=count,
            )
            .process(slow)
            .end()
        )
    )
    sent = await asyncio.wait_for(
        engine.send("direct:in", "whole", {"items": iter(range(items))}), 30
    )
    assert sent.exception is None
    assert sent.body == items
    assert 1 < high <= STREAMING_IN_FLIGHT


async def test_a_failed_part_of_a_streaming_split_stops_it_with_stop_on_exception(
    run: StartRoutes,
) -> None:
    def refuse_two(exchange: Exchange) -> None:
        if exchange.body == 2:
            raise ValueError("two is refused")

    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .split(body(), streaming=True, stop_on_exception=True)
            .process(refuse_two)
            .to("mock:items")
            .end()
        )
    )
    sent = await engine.send("direct:in", [1, 2, 3])
    assert isinstance(sent.exception, ValueError)
    assert mock(engine, "mock:items").bodies == [1]
