"""The splitter: each item of a list goes through the block as an exchange of its own;
the exchange that was split goes on as it was, failed if an item failed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from endpoints.exchange import Exchange
from routes.dsl import RouteBuilder
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
