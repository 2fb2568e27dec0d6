"""The batch sizes a level formed, from services' ``route_batch_size`` as Prometheus
writes it."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import HistogramMetricFamily, Metric

from bench.batches import between, parse
from routes.batch import SIZE_BUCKETS

CREATE = ("create-payment-order", "batch createOrders")
CLAIM = ("execute-payment-order", "batch claimPayments")


def _metrics(groups: dict[tuple[str, str], list[int]]) -> str:
    """A service's ``/metrics`` after its batch steps formed groups of these sizes."""

    class Sizes:
        def collect(self) -> Iterator[Metric]:
            family = HistogramMetricFamily("route_batch_size", "Sizes.", labels=["route", "step"])
            for labels, sizes in groups.items():
                buckets = [(str(b), sum(s <= b for s in sizes)) for b in SIZE_BUCKETS]
                family.add_metric(list(labels), [*buckets, ("+Inf", len(sizes))], sum(sizes))
            yield family

    registry = CollectorRegistry()
    registry.register(Sizes())
    return generate_latest(registry).decode()


def test_a_level_gets_the_groups_formed_between_two_scrapes() -> None:
    before = parse([_metrics({CREATE: [1, 1], CLAIM: [3]})])
    after = parse([_metrics({CREATE: [1, 1, 2, 4, 4, 5], CLAIM: [3]})])

    [create] = between(before, after)  # the claims formed no group meanwhile

    assert (create["route"], create["step"]) == CREATE
    assert create["groups"] == 4
    assert create["mean"] == 15 / 4
    assert {bound: n for bound, n in create["histogram"].items() if n} == {"2": 1, "4": 2, "8": 1}
    assert list(create["histogram"]) == [*map(str, SIZE_BUCKETS), "+Inf"]


def test_the_workers_of_a_group_count_together() -> None:
    both = parse([_metrics({CLAIM: [2, 2]}), _metrics({CREATE: [1], CLAIM: [8]})])

    figures = {(step["route"], step["step"]): step for step in between({}, both)}

    assert (figures[CLAIM]["groups"], figures[CLAIM]["mean"]) == (3, 4.0)
    assert (figures[CREATE]["groups"], figures[CREATE]["mean"]) == (1, 1.0)
