"""The examples of docs/routes.md, run as written."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.yaml import load_routes
from tests.engine.support import mock

ROOT = Path(__file__).resolve().parents[2]
ROUTES_DOC = ROOT / "docs" / "routes.md"


def doc_block(language: str, document: Path = ROUTES_DOC) -> str:
    match = re.search(rf"```{language}\n(.*?)```", document.read_text(), re.S)
    assert match, f"no {language} block in {document}"
    return match.group(1)


def python_example() -> RouteBuilder:
    namespace: dict[str, object] = {}
    exec(doc_block("python"), namespace)
    builder = namespace["builder"]
    assert isinstance(builder, RouteBuilder)
    return builder


def yaml_example(tmp_path: Path) -> RouteBuilder:
    path = tmp_path / "greeter.yaml"
    path.write_text(doc_block("yaml"))
    return load_routes(path)


@pytest.mark.parametrize("source", ["python", "yaml"])
async def test_the_documented_route_greets_named_people_only(source: str, tmp_path: Path) -> None:
    builder = python_example() if source == "python" else yaml_example(tmp_path)
    engine = Engine()
    engine.add_routes(builder)
    await engine.start()
    try:
        await engine.send("seda:greetings", {"name": "Ada"})
        await engine.send("seda:greetings", {"nickname": "anonymous"})
        await engine.send("seda:greetings", {"name": "Grace"})
        greeted = await mock(engine, "mock:greeted").expect(2)
    finally:
        await engine.stop()
    assert sorted(exchange.body for exchange in greeted) == ["Hello, Ada!", "Hello, Grace!"]


def test_the_documented_examples_are_twins(tmp_path: Path) -> None:
    assert python_example().routes == yaml_example(tmp_path).routes


async def test_the_readmes_route_logs_large_orders_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "large-orders.yaml"
    path.write_text(doc_block("yaml", ROOT / "README.md"))
    engine = Engine()
    engine.add_routes(load_routes(path))
    await engine.start()
    try:
        with caplog.at_level(logging.WARNING, logger="large"):
            await engine.send("direct:orders", {"amount": 25_000})
            await engine.send("direct:orders", {"amount": 70})
    finally:
        await engine.stop()
    assert [r.getMessage() for r in caplog.records if r.name == "large"] == [
        "Exchange[BodyType: dict, Body: {'amount': 25000}]"
    ]
