"""Per-route counters the engine keeps and the observability layer exports."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from routes.batch import BatchSizes


@dataclass
class RouteMetrics:
    completed: int = 0  # ended without an unhandled error (dead-lettered ones included)
    failed: int = 0  # ended with an unhandled error: the source must redeliver
    redelivered: int = 0  # redelivery attempts made by the error handler
    dead_lettered: int = 0
    in_flight: int = 0
    processing_seconds_total: float = 0.0
    processing_seconds_max: float = 0.0
    # Per batch step (by its processor's name): the groups it completed; "from": the
    # batches a batch consumer handed the route.
    batch_sizes: dict[str, BatchSizes] = field(default_factory=dict)

    @property
    def processing_seconds_mean(self) -> float:
        done = self.completed + self.failed
        return self.processing_seconds_total / done if done else 0.0

    def record(self, seconds: float, failed: bool) -> None:
        if failed:
            self.failed += 1
        else:
            self.completed += 1
        self.processing_seconds_total += seconds
        self.processing_seconds_max = max(self.processing_seconds_max, seconds)

    def snapshot(self) -> dict[str, float]:
        figures = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "batch_sizes"}
        return {**figures, "processing_seconds_mean": self.processing_seconds_mean}
