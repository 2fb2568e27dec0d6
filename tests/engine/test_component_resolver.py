"""The resolver finds a scheme's component from a ``"module:Class"`` target, importing
the module only when a route first names the scheme; the engine imports no component."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from components.mock import MockComponent, MockEndpoint
from endpoints.errors import EndpointError
from endpoints.resolver import BUILTIN_COMPONENTS, ComponentResolver
from routes.dsl import RouteBuilder
from routes.engine import Engine

PLUGIN = '''
from components.mock import MockComponent


class EchoComponent(MockComponent):
    """A plugin's component: mock: under another scheme."""
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plugin module on the path, not imported yet."""
    (tmp_path / "echo_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "echo_plugin", raising=False)
    return "echo_plugin:EchoComponent"


async def test_a_registered_scheme_is_imported_when_a_route_first_uses_it(plugin: str) -> None:
    engine = Engine()
    engine.register_scheme("echo", plugin)
    builder = RouteBuilder()
    builder.from_("direct:in").route_id("echoing").to("echo:out")
    engine.add_routes(builder)
    assert "echo_plugin" not in sys.modules

    await engine.start()
    try:
        sent = await engine.send("direct:in", "hello")
        assert sent.exception is None
        assert type(engine.components.resolve("echo", "echo:out")).__module__ == "echo_plugin"
        endpoint = engine.endpoint("echo:out")
        assert isinstance(endpoint, MockEndpoint)
        assert endpoint.bodies == ["hello"]
    finally:
        await engine.stop()


def test_one_component_serves_every_uri_of_its_scheme() -> None:
    resolver = ComponentResolver()
    first = resolver.resolve("mock", "mock:a")
    assert isinstance(first, MockComponent)
    assert resolver.resolve("mock", "mock:b") is first
    assert resolver.resolved() == [first]


def test_an_unknown_scheme_names_the_uri_and_the_schemes_known() -> None:
    resolver = ComponentResolver({"mock": BUILTIN_COMPONENTS["mock"]})
    with pytest.raises(EndpointError) as raised:
        resolver.resolve("nosuch", "nosuch:thing")
    assert str(raised.value) == "endpoint 'nosuch:thing': unknown scheme 'nosuch' (known: mock)"


def test_a_component_added_ready_is_used_as_it_is() -> None:
    resolver = ComponentResolver({})
    added = MockComponent()
    resolver.add("mock", added)
    assert resolver.resolve("mock", "mock:x") is added
