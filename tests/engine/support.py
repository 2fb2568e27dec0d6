"""Helpers for engine tests: a recording sleeper, and typed access to mock endpoints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from components.mock import MockEndpoint
from routes.dsl import RouteBuilder
from routes.engine import Engine

Build = Callable[[RouteBuilder], object]


class StartRoutes(Protocol):
    """Starts the routes ``build`` adds, with ``beans`` bound by name, on a new engine."""

    async def __call__(self, build: Build, beans: Mapping[str, Any] | None = None) -> Engine: ...


class RecordingSleeper:
    """Stands in for asyncio.sleep: remembers each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def mock(engine: Engine, uri: str) -> MockEndpoint:
    endpoint = engine.endpoint(uri)
    assert isinstance(endpoint, MockEndpoint)
    return endpoint
