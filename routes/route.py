"""A running route: its consumer feeds exchanges into its steps."""

from __future__ import annotations

import asyncio
import logging
import time
from enum import StrEnum

from endpoints.base import Consumer
from endpoints.cohort import COHORT, Cohort
from endpoints.exchange import Exchange, utcnow
from endpoints.headers import CORRELATION_ID, EXCEPTION_CAUGHT
from routes.batch import BatchSizes, RouteParking
from routes.context import routing
from routes.definition import RouteDefinition
from routes.metrics import RouteMetrics
from routes.pipeline import Step, run_steps
from routes.tracing import route_span


def _log_unhandled(route_id: str, exchange: Exchange) -> None:
    """A failure no error handler saw (one a ``doTry`` let through, which Camel's error
    handler does not apply to) is logged as Camel's consumers log it, once the route that
    took the exchange in is done with it; the error handler logs its own."""
    error = exchange.exception
    if error is not None and exchange.properties.get(EXCEPTION_CAUGHT) is not error:
        logger.warning(
            "route %s: error processing exchange: %s: %s", route_id, type(error).__name__, error
        )


class RouteStatus(StrEnum):
    STOPPED = "Stopped"
    STARTING = "Starting"
    STARTED = "Started"
    STOPPING = "Stopping"


logger = logging.getLogger(__name__)

# The batch_sizes entry of the batches a batch consumer hands the route.
SOURCE_BATCHES = "from"


class Route:
    def __init__(
        self,
        route_id: str,
        definition: RouteDefinition,
        steps: list[Step],
        metrics: RouteMetrics,
        parking: RouteParking | None = None,
    ) -> None:
        self.route_id = route_id
        self.definition = definition
        self.steps = steps
        self.metrics = metrics
        self.parking = parking
        self.status = RouteStatus.STOPPED
        self.consumer: Consumer | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    async def handle(self, exchange: Exchange) -> None:
        """Run the exchange through the route; when this returns the route is done with it."""
        self.metrics.in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        # A stop (filter, handled error) ends this route only, not a route that called it.
        caller_stopped, exchange.stopped = exchange.stopped, False
        if exchange.route_id is None:
            exchange.route_id = self.route_id
        exchange.headers.setdefault(CORRELATION_ID, exchange.id)
        cohort = exchange.properties.get(COHORT)
        if isinstance(cohort, Cohort) and not cohort.counted:
            cohort.counted = True
            self.metrics.batch_sizes.setdefault(SOURCE_BATCHES, BatchSizes()).record(cohort.size)
        exchange.routes_in += 1
        try:
            with routing(self.route_id, exchange), route_span(self.route_id, exchange):
                try:
                    await run_steps(self.steps, exchange)
                except Exception as error:  # e.g. an idempotent repository is down
                    exchange.exception = error
        finally:
            exchange.routes_in -= 1
            if not exchange.routes_in:  # the route that took it in: its unit of work ends
                _log_unhandled(self.route_id, exchange)
                done, exchange.on_completion = exchange.on_completion, []
                for callback in done:
                    callback()
            exchange.stopped = caller_stopped
            exchange.completed_at = utcnow()
            self.metrics.record(time.perf_counter() - started, exchange.failed)
            self.metrics.in_flight -= 1
            if self.metrics.in_flight == 0:
                self._idle.set()
            if self.parking is not None:
                self.parking.check_soon()

    async def wait_idle(self) -> None:
        await self._idle.wait()
