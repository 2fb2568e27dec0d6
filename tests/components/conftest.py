"""Fixtures shared by the component tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from components.mongodb import MongoComponent


@pytest.fixture
async def component(mongo_uri: str) -> AsyncIterator[MongoComponent]:
    component = MongoComponent(mongo_uri)
    await component.start()
    yield component
    await component.stop()


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
