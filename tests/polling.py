"""Waiting for something to become true, with a deadline, instead of sleeping."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


async def eventually(
    probe: Callable[[], object | Awaitable[object]], deadline: float = 20.0, interval: float = 0.05
) -> Any:
    """Call ``probe`` until it returns something truthy; return that, or raise
    TimeoutError after ``deadline`` seconds."""
    async with asyncio.timeout(deadline):
        while True:
            result = probe()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            await asyncio.sleep(interval)
