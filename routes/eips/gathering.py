"""Copies of one exchange sent several ways and their outcomes gathered back, as Camel's
MulticastProcessor does for ``split``, ``multicast`` and ``recipientList``.

Each part is an exchange of its own with the message (or a new body) and the
properties of the one it came from. The parts run one after another, or all at once
with ``parallel_processing``; a failed part stops the rest only with
``stop_on_exception``, and in any case fails the exchange they came from once they are
done (Camel propagates the exception). Without an aggregation strategy the exchange
goes on as it came (``split``) or with the last part's message (``multicast`` and
``recipientList``: Camel's UseLatestAggregationStrategy); with one, with the message
the strategy gathered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from endpoints.exchange import Exchange, Message
from routes.steps import AggregationStrategy

Run = Callable[[Exchange], Awaitable[None]]


def part_of(exchange: Exchange, body: Any = None, *, keep_body: bool = True) -> Exchange:
    """A new exchange carrying a copy of ``exchange``'s message (or ``body``)."""
    message = exchange.message.copy() if keep_body else Message(body, dict(exchange.headers))
    return Exchange(message, properties=dict(exchange.properties), route_id=exchange.route_id)


async def run_parts(
    parts: Sequence[tuple[Exchange, Run]], *, parallel: bool, stop_on_exception: bool
) -> None:
    """Run each part; a failure stops those not yet started with ``stop_on_exception``."""
    if parallel:
        await asyncio.gather(*(run(part) for part, run in parts))
        return
    for part, run in parts:
        await run(part)
        if stop_on_exception and part.failed:
            return


def gather(
    exchange: Exchange,
    parts: Sequence[Exchange],
    strategy: AggregationStrategy | None,
    *,
    keep_original: bool,
) -> None:
    """What the parts leave on ``exchange``: the first failure, or the gathered message."""
    failure = next((part.exception for part in parts if part.failed), None)
    if failure is not None:
        exchange.exception = failure
        return
    if strategy is not None:
        gathered: Exchange | None = None
        for part in parts:
            gathered = strategy(gathered, part)
        if gathered is not None:
            exchange.message = gathered.message
        return
    if not keep_original and parts:
        exchange.message = parts[-1].message
