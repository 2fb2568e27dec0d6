"""The examples of docs/routes.md, run as written."""

from __future__ import annotations

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


def test_the_readmes_route_is_the_shipped_audit_edit_as_written() -> None:
    """The README starts from the shipped flow: its excerpt is the audit example's."""
    excerpt = doc_block("yaml", ROOT / "README.md")
    audit = ROOT / "config" / "routes" / "examples" / "flow" / "audit" / "process"
    assert excerpt in (audit / "execution.yaml").read_text()
