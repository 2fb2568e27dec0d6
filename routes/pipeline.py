"""What a built route is made of: async steps run one after another on an exchange."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from endpoints.exchange import Exchange

Step = Callable[[Exchange], Awaitable[None]]


async def call(function: Callable[[Exchange], Any], exchange: Exchange) -> Any:
    """Call a plain or async callable with the exchange and return its result."""
    result = function(exchange)
    if inspect.isawaitable(result):
        return await result
    return result


async def run_steps(steps: Sequence[Step], exchange: Exchange) -> None:
    """Run ``steps`` in order until one fails the exchange or stops routing."""
    for step in steps:
        await step(exchange)
        if exchange.stopped or exchange.failed or exchange.route_stop:
            return
