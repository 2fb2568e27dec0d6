"""The payment metrics: orders created and in each status, how long an order spent
in each step of its lifecycle, and the gateway's calls by outcome.

They live in the service's registry beside the engine's (``observability.metrics``);
the count by status is read from the store when ``/metrics`` is scraped.
"""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from payments.domain.model import OrderStatus
from payments.domain.store import OrderStore, StoreUnavailable

# How long a scrape waits for the store's count before leaving the gauge out.
COUNT_DEADLINE = 2.0
# Seconds: a lifecycle step takes milliseconds, a retried gateway call seconds.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
# Seconds: a store call takes a millisecond or so, one waiting for an outage its timeout.
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class PaymentMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.orders_created = Counter(
            "payment_orders_created",
            "Orders this service created (a replay of an Idempotency-Key is not counted).",
            registry=registry,
        )
        self.orders = Gauge(
            "payment_orders",
            "Orders in each status now, read from the store at scrape time "
            "(absent while the store does not answer).",
            ["status"],
            registry=registry,
        )
        self.transition_seconds = Histogram(
            "payment_order_transition_seconds",
            "Time an order spent in a status before this service moved it to the next.",
            ["from_status", "to_status"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )
        self.gateway_calls = Counter(
            "payment_gateway_calls",
            "Calls to the bank gateway by outcome: paid, rejected, transient "
            "(unavailable), timeout, invalid (no readable command), error (anything else).",
            ["outcome"],
            registry=registry,
        )
        self.reconciliation_mismatches = Gauge(
            "payment_reconciliation_mismatches",
            "Mismatches between the orders and the bank's bookings at the last "
            "reconciliation (RECONCILE_PERIOD), by kind.",
            ["kind"],
            registry=registry,
        )
        self.gateway_seconds = Histogram(
            "payment_gateway_call_seconds",
            "Duration of a call to the bank gateway, by outcome.",
            ["outcome"],
            buckets=STEP_BUCKETS,
            registry=registry,
        )

        self.store_seconds = Histogram(
            "payment_store_call_seconds",
            "Duration of each order store call, by call and outcome: ok, unavailable "
            "(the store did not answer), error.",
            ["call", "outcome"],
            buckets=STORE_BUCKETS,
            registry=registry,
        )

    def gateway_call(self, outcome: str, seconds: float) -> None:
        self.gateway_calls.labels(outcome).inc()
        self.gateway_seconds.labels(outcome).observe(seconds)

    async def refresh_orders(self, store: OrderStore) -> None:
        """Set the count of orders by status from ``store``; clear it if the store
        does not answer in time, so a stale count is never shown as current."""
        try:
            async with asyncio.timeout(COUNT_DEADLINE):
                counts = await store.count_by_status()
        except (StoreUnavailable, TimeoutError):
            self.orders.clear()
            return
        for status in OrderStatus:
            self.orders.labels(status.value).set(counts.get(status, 0))
