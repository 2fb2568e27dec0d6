"""The group sizes the batch steps actually formed in each load level, from the
``route_batch_size`` histogram every service of the orchestrator exposes: how many
orders shared a store call is what the group commit is for, and the load decides it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

FAMILY = "route_batch_size"


@dataclass
class StepSizes:
    """One batch step's figures so far: groups, exchanges in them, and the groups of at
    most each bucket's bound (cumulative, as Prometheus counts them, in bound order)."""

    groups: float = 0.0
    exchanges: float = 0.0
    buckets: dict[str, float] = field(default_factory=dict)

    def add(self, other: StepSizes, sign: int = 1) -> None:
        self.groups += sign * other.groups
        self.exchanges += sign * other.exchanges
        for bound, count in other.buckets.items():
            self.buckets[bound] = self.buckets.get(bound, 0.0) + sign * count


# By (route, step), summed over the services scraped.
Snapshot = dict[tuple[str, str], StepSizes]


def parse(texts: Iterable[str]) -> Snapshot:
    """The batch steps' figures in the ``/metrics`` of some services, summed by (route,
    step): the workers of one consumer group run the same steps."""
    total: Snapshot = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            if family.name == FAMILY:
                for key, sizes in _steps(family.samples).items():
                    total.setdefault(key, StepSizes()).add(sizes)
    return total


def _steps(samples: Iterable[Sample]) -> Snapshot:
    steps: Snapshot = {}
    for sample in samples:
        sizes = steps.setdefault((sample.labels["route"], sample.labels["step"]), StepSizes())
        if sample.name == f"{FAMILY}_bucket":
            sizes.buckets[sample.labels["le"]] = sample.value
        elif sample.name == f"{FAMILY}_count":
            sizes.groups = sample.value
        elif sample.name == f"{FAMILY}_sum":
            sizes.exchanges = sample.value
    return steps


async def scrape(urls: Iterable[str]) -> Snapshot:
    """The batch steps' figures of the services at ``urls``."""
    texts = []
    async with aiohttp.ClientSession() as session:
        for url in urls:
            async with session.get(f"{url}/metrics") as response:
                response.raise_for_status()
                texts.append(await response.text())
    return parse(texts)


def between(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    """What each batch step formed from ``before`` to ``after`` (steps that formed no
    group left out): groups, mean size, and the histogram as the count of groups in each
    bucket (of at most ``le`` exchanges, more than the bucket's below)."""
    figures = []
    for (route, step), now in after.items():
        level = StepSizes()
        level.add(now)
        level.add(before.get((route, step), StepSizes()), sign=-1)
        if level.groups <= 0:
            continue
        cumulative = list(level.buckets.values())
        histogram = {
            bound: int(count - previous)
            for bound, count, previous in zip(
                level.buckets, cumulative, [0.0, *cumulative[:-1]], strict=True
            )
        }
        figures.append(
            {
                "route": route,
                "step": step,
                "groups": int(level.groups),
                "mean": level.exchanges / level.groups,
                "histogram": histogram,
            }
        )
    return figures
