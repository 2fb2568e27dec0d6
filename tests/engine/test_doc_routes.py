"""The examples of docs/routes.md, run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.yaml_dsl import load_routes
from tests.engine.support import mock

ROUTES_DOC = Path(__file__).resolve().parents[2] / "docs" / "routes.md"


def doc_block(language: str) -> str:
    match = re.search(rf"```{language}\n(.*?)```", ROUTES_DOC.read_text(), re.S)
    assert match, f"no {language} block in {ROUTES_DOC}"
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
