"""Prometheus metrics of the engine, computed when ``/metrics`` is scraped.

``EngineCollector`` turns the counters every route keeps (``routes.metrics``) and
the lag of every partitioned (Kafka) consumer into metric families; ``metrics_handler`` serves a
registry, first awaiting the refreshers of gauges that need I/O (a database count).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

from endpoints.base import PartitionedConsumer
from routes.batch import SIZE_BUCKETS, BatchSizes
from routes.engine import Engine
from routes.route import RouteStatus

Refresher = Callable[[], Awaitable[None]]

ROUTE = ["route"]


class EngineCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        completed = CounterMetricFamily(
            "route_exchanges_completed",
            "Exchanges a route finished without an unhandled error (dead-lettered included).",
            labels=ROUTE,
        )
        failed = CounterMetricFamily(
            "route_exchanges_failed",
            "Exchanges a route ended with an unhandled error (their source redelivers them).",
            labels=ROUTE,
        )
        redelivered = CounterMetricFamily(
            "route_redeliveries", "Redelivery attempts of the route's error handler.", labels=ROUTE
        )
        dead_lettered = CounterMetricFamily(
            "route_exchanges_dead_lettered",
            "Exchanges the route's dead-letter channel took.",
            labels=ROUTE,
        )
        in_flight = GaugeMetricFamily(
            "route_exchanges_in_flight", "Exchanges the route is handling now.", labels=ROUTE
        )
        processing = SummaryMetricFamily(
            "route_processing_seconds",
            "Time from an exchange entering the route to the route being done with it.",
            labels=ROUTE,
        )
        slowest = GaugeMetricFamily(
            "route_processing_seconds_max",
            "The longest an exchange took in the route since the start.",
            labels=ROUTE,
        )
        started = GaugeMetricFamily(
            "route_started", "1 while the route is started, else 0.", labels=ROUTE
        )
        for route_id, route in self.engine.routes.items():
            metrics, labels = route.metrics, [route_id]
            completed.add_metric(labels, metrics.completed)
            failed.add_metric(labels, metrics.failed)
            redelivered.add_metric(labels, metrics.redelivered)
            dead_lettered.add_metric(labels, metrics.dead_lettered)
            in_flight.add_metric(labels, metrics.in_flight)
            processing.add_metric(
                labels, metrics.completed + metrics.failed, metrics.processing_seconds_total
            )
            slowest.add_metric(labels, metrics.processing_seconds_max)
            started.add_metric(labels, 1 if route.status == RouteStatus.STARTED else 0)
        yield from (completed, failed, redelivered, dead_lettered, in_flight, processing, slowest)
        yield started
        yield self._batch_sizes()
        yield self._kafka_lag()

    def _batch_sizes(self) -> Metric:
        sizes = HistogramMetricFamily(
            "route_batch_size",
            "Exchanges in each group a batch step handed to its processor at once.",
            labels=["route", "step"],
        )
        for route_id, route in self.engine.routes.items():
            for step, recorded in route.metrics.batch_sizes.items():
                sizes.add_metric([route_id, step], _cumulative(recorded), recorded.total)
        return sizes

    def _kafka_lag(self) -> Metric:
        lag = GaugeMetricFamily(
            "kafka_consumer_lag",
            "Records of an owned partition not yet committed by the consumer group "
            "(end offset as last fetched minus committed offset).",
            labels=["route", "topic", "group", "partition"],
        )
        for route_id, route in self.engine.routes.items():
            consumer = route.consumer
            if consumer is not None and isinstance(consumer, PartitionedConsumer):
                for partition, records in sorted(consumer.lag().items()):
                    lag.add_metric(
                        [route_id, consumer.topic, consumer.group_id, str(partition)], records
                    )
        return lag


def _cumulative(recorded: BatchSizes) -> list[tuple[str, float]]:
    """Prometheus buckets: the count of groups at most each bound, then all of them."""
    counts = [sum(recorded.buckets[: index + 1]) for index in range(len(SIZE_BUCKETS))]
    return [*zip(map(str, SIZE_BUCKETS), counts, strict=True), ("+Inf", recorded.count)]


def service_registry(engine: Engine) -> CollectorRegistry:
    """A registry of the engine's metrics and the process's own (CPU, memory, GC)."""
    registry = CollectorRegistry()
    registry.register(EngineCollector(engine))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def metrics_handler(
    registry: CollectorRegistry, refreshers: Sequence[Refresher] = ()
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler answering the Prometheus text format."""

    async def metrics(_: web.Request) -> web.Response:
        for refresh in refreshers:
            await refresh()
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return metrics
