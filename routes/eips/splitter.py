"""Camel's splitter: each item of a message goes on as an exchange of its own.

At once (the default), every part is made first and ``CamelSplitSize`` is on each.
``streaming``, as Camel's: the items are taken one by one as the parts run, so a source
that yields them lazily (a file read as it goes) is never held whole; only the last
part knows the size, and a strategy gathers the parts in the order they end. With
``parallelProcessing`` as well, at most ``STREAMING_IN_FLIGHT`` parts run at once: as
many as Camel's default thread pool runs and queues before its caller waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from endpoints import headers
from endpoints.exchange import Exchange
from routes.eips.gathering import Run, part_of
from routes.steps import AggregationStrategy

# Camel's default thread pool profile: 20 threads at most, 1,000 tasks queued.
STREAMING_IN_FLIGHT = 1_020


def split_items(value: Any, delimiter: str = ",") -> Iterator[Any]:
    """What a split iterates over, as Camel's ``ObjectHelper.createIterator``: a list's
    items, a map's entries, what an iterator or generator yields (taken as needed), a
    text's non-empty parts between ``delimiter``s, nothing for None, and anything else
    as the one item. The delimiter ``single`` keeps any value whole; ``false`` keeps a
    text whole."""
    if value is None:
        return iter(())
    if delimiter == "single":
        return iter((value,))
    if isinstance(value, dict):
        return iter(list(value.items()))
    if isinstance(value, str):
        if delimiter == "false":
            return iter((value,))
        return (part for part in value.split(delimiter) if part)
    if isinstance(value, list | tuple | Iterator):
        return iter(value)
    return iter((value,))


def _marked(exchange: Exchange, item: Any, index: int, last: bool) -> Exchange:
    part = part_of(exchange, item, keep_body=False)
    part.properties[headers.SPLIT_INDEX] = index
    part.properties[headers.SPLIT_COMPLETE] = last
    return part


def parts_at_once(exchange: Exchange, items: Iterator[Any]) -> list[Exchange]:
    """Every part, each knowing the size."""
    parts = [_marked(exchange, item, index, False) for index, item in enumerate(items)]
    for part in parts:
        part.properties[headers.SPLIT_SIZE] = len(parts)
    if parts:
        parts[-1].properties[headers.SPLIT_COMPLETE] = True
    return parts


def streamed_parts(exchange: Exchange, items: Iterator[Any]) -> Iterator[Exchange]:
    """The parts as the items come, one item ahead: the last knows it is the last and
    carries the size."""
    index, ahead = 0, next(items, _END)
    while ahead is not _END:
        item, ahead = ahead, next(items, _END)
        last = ahead is _END
        part = _marked(exchange, item, index, last)
        if last:
            part.properties[headers.SPLIT_SIZE] = index + 1
        yield part
        index += 1


_END = object()


async def run_streaming(
    parts: Iterator[Exchange],
    run: Run,
    *,
    parallel: bool,
    stop_on_exception: bool,
    strategy: AggregationStrategy | None,
) -> tuple[Exchange | None, BaseException | None]:
    """Run the parts as they come, each gathered once it ended and then let go. Answers
    what the strategy gathered and the first failure. A failure stops the parts not
    yet taken with ``stop_on_exception``; those running end first."""
    gathered: Exchange | None = None
    failure: BaseException | None = None

    def ended(part: Exchange) -> None:
        nonlocal gathered, failure
        if part.failed:
            failure = failure or part.exception
        elif strategy is not None:
            gathered = strategy(gathered, part)

    if not parallel:
        for part in parts:
            await run(part)
            ended(part)
            if stop_on_exception and failure is not None:
                break
        return gathered, failure
    running: set[asyncio.Task[Exchange]] = set()

    async def run_one(part: Exchange) -> Exchange:
        await run(part)
        return part

    try:
        for part in parts:
            if len(running) >= STREAMING_IN_FLIGHT:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    ended(task.result())
            if stop_on_exception and failure is not None:
                break
            running.add(asyncio.create_task(run_one(part)))
        while running:
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                ended(task.result())
    finally:  # cancelled: the parts still running go with it
        for task in running:
            task.cancel()
    return gathered, failure
