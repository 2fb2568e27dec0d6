"""Camel's aggregator: exchanges that share a correlation key are gathered into one,
which goes on once its group is complete.

A group completes when ``completion_predicate`` holds for what it gathered, when it
holds ``completion_size`` exchanges, or when no exchange joined it for
``completion_timeout`` seconds (Camel's inactivity timeout). The gathered exchange
then runs the aggregate's own steps: at once, in the flow of the exchange that
completed it, or, for a timeout, in a task of its own. The incoming exchanges end
their part here (a copy of each is gathered). Without a strategy, the gathered body is
the list of the bodies (Camel's GroupedBodyAggregationStrategy). An exchange with
``CamelAggregationCompleteAllGroups`` completes every open group instead ("force").
Groups still open when the route stops are dropped, as Camel does without
``forceCompletionOnStop``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from endpoints import headers
from endpoints.exchange import Exchange
from routes.eips.gathering import part_of
from routes.expressions import Expression
from routes.pipeline import call
from routes.predicates import holds, predicate_value
from routes.steps import AggregationStrategy

logger = logging.getLogger(__name__)

Run = Callable[[Exchange], Awaitable[None]]


class InvalidCorrelationKey(ValueError):
    """The correlation expression gave no key (Camel's CamelExchangeException)."""


def grouped_bodies(gathered: Exchange | None, incoming: Exchange) -> Exchange:
    """Camel's GroupedBodyAggregationStrategy: the bodies, in the order they came."""
    if gathered is None:
        return part_of(incoming, [incoming.body], keep_body=False)
    gathered.body.append(incoming.body)
    return gathered


def grouped_exchanges(gathered: Exchange | None, incoming: Exchange) -> Exchange:
    """Camel's GroupedExchangeAggregationStrategy: the exchanges, in the order they came."""
    if gathered is None:
        return part_of(incoming, [incoming], keep_body=False)
    gathered.body.append(incoming)
    return gathered


def latest(gathered: Exchange | None, incoming: Exchange) -> Exchange:
    """Camel's UseLatestAggregationStrategy: the last exchange."""
    return incoming


def merged_bodies(merge: Callable[[Any, Any], Any]) -> AggregationStrategy:
    """A bean's method as a strategy (Camel's AggregationStrategyBeanAdapter): the first
    exchange as it came, then its body ``merge(body so far, next body)``."""

    def strategy(gathered: Exchange | None, incoming: Exchange) -> Exchange:
        if gathered is None:
            return incoming
        gathered.message.body = merge(gathered.body, incoming.body)
        return gathered

    return strategy


@dataclass
class _Group:
    key: Hashable
    gathered: Exchange | None = None
    size: int = 0
    timer: asyncio.TimerHandle | None = None


class Aggregator:
    def __init__(
        self,
        correlation: Expression,
        strategy: AggregationStrategy | None,
        run: Run,
        track: Callable[[asyncio.Task[None]], None],
        *,
        completion_size: int | None = None,
        completion_timeout: float | None = None,
        completion_predicate: Expression | None = None,
    ) -> None:
        self.correlation = correlation
        self.strategy = strategy or grouped_bodies
        self.run = run
        self.track = track
        self.completion_size = completion_size
        self.completion_timeout = completion_timeout
        self.completion_predicate = completion_predicate
        self._groups: dict[Hashable, _Group] = {}

    async def __call__(self, exchange: Exchange) -> None:
        signal = headers.AGGREGATION_COMPLETE_ALL_GROUPS
        if predicate_value(exchange.properties.get(signal, exchange.message.header(signal))):
            for group in list(self._groups.values()):
                self._close(group)
                await self._send(group, "force")
            return
        key = await call(self.correlation, exchange)
        if key is None:
            raise InvalidCorrelationKey("the correlation expression gave no key (null)")
        group = self._groups.setdefault(key, _Group(key))
        group.gathered = self.strategy(group.gathered, part_of(exchange))
        group.size += 1
        completed_by = await self._completed_by(group)
        if completed_by is not None:
            self._close(group)
            await self._send(group, completed_by)
        elif self.completion_timeout is not None:
            if group.timer is not None:
                group.timer.cancel()
            group.timer = asyncio.get_running_loop().call_later(
                self.completion_timeout, self._timed_out, group
            )

    async def _completed_by(self, group: _Group) -> str | None:
        assert group.gathered is not None
        if self.completion_predicate is not None and await holds(
            self.completion_predicate, group.gathered
        ):
            return "predicate"
        if self.completion_size is not None and group.size >= self.completion_size:
            return "size"
        return None

    def _close(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            del self._groups[group.key]
        if group.timer is not None:
            group.timer.cancel()

    def _timed_out(self, group: _Group) -> None:
        if self._groups.get(group.key) is group:
            self._close(group)
            self.track(asyncio.create_task(self._send(group, "timeout")))

    async def _send(self, group: _Group, completed_by: str) -> None:
        out = group.gathered
        assert out is not None
        out.properties[headers.AGGREGATED_SIZE] = group.size
        out.properties[headers.AGGREGATED_COMPLETED_BY] = completed_by
        out.properties[headers.AGGREGATED_CORRELATION_KEY] = group.key
        await self.run(out)
        if out.failed:
            logger.warning("aggregated exchange of %r failed: %s", group.key, out.exception)

    def stop(self) -> None:
        """Drop the open groups and their timers."""
        for group in list(self._groups.values()):
            self._close(group)
