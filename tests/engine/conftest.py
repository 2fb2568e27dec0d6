"""Fixtures for engine tests: start routes on an engine that never really sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from routes.dsl import RouteBuilder
from routes.engine import Engine
from tests.engine.support import Build, RecordingSleeper, StartRoutes


@pytest.fixture
def sleeper() -> RecordingSleeper:
    return RecordingSleeper()


@pytest.fixture
async def run(sleeper: RecordingSleeper) -> AsyncIterator[StartRoutes]:
    engines: list[Engine] = []

    async def start(build: Build, beans: Mapping[str, Any] | None = None) -> Engine:
        builder = RouteBuilder()
        build(builder)
        engine = Engine(sleeper=sleeper)
        for name, bean in (beans or {}).items():
            engine.bind(name, bean)
        engine.add_routes(builder)
        await engine.start()
        engines.append(engine)
        return engine

    yield start
    for engine in engines:
        await engine.stop()
