"""An order store that reports what goes through it: every order created and every
transition is counted, timed and logged once, as one structured event, whatever
processor or route asked for it. The log context names the route, the exchange
and the correlation id; the event adds the order's own fields. Every call but start
and stop is timed (``payment_store_call_seconds``), so a slow store shows as such
and not only as slow requests (mypy checks this class against ``OrderStore``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from payments.metrics import PaymentMetrics
from payments.model import OrderStatus, PaymentOrder
from payments.store import OrderStore, Step, StoreUnavailable

logger = logging.getLogger("payments.events")


class ObservedOrderStore:
    def __init__(self, store: OrderStore, metrics: PaymentMetrics) -> None:
        self.store = store
        self.metrics = metrics

    async def start(self) -> None:
        await self.store.start()

    async def stop(self) -> None:
        await self.store.stop()

    async def ping(self) -> None:
        with self._timed("ping"):
            await self.store.ping()

    async def create(self, order: PaymentOrder) -> tuple[PaymentOrder, bool]:
        with self._timed("create"):
            stored, created = await self.store.create(order)
        if created:
            self.metrics.orders_created.inc()
            logger.info(
                "order %s created: %s %s",
                stored.id,
                stored.amount,
                stored.currency,
                extra={
                    "event": "order.created",
                    "order_id": stored.id,
                    "status": stored.status,
                    "amount": str(stored.amount),
                    "currency": stored.currency,
                },
            )
        return stored, created

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        with self._timed("get"):
            return await self.store.get(order_id, client_id=client_id)

    async def peek(self, order_id: str) -> PaymentOrder | None:
        with self._timed("peek"):
            return await self.store.peek(order_id)

    async def transition(
        self,
        order_id: str,
        expected: OrderStatus,
        target: OrderStatus,
        at: datetime,
        reason: str | None = None,
        attempts: int | None = None,
        gateway_reference: str | None = None,
    ) -> PaymentOrder | None:
        with self._timed("transition"):
            moved = await self.store.transition(
                order_id, expected, target, at, reason, attempts, gateway_reference
            )
        if moved is not None:
            self._moved(moved, expected, attempts)
        return moved

    async def transition_through(
        self, order_id: str, steps: Sequence[Step], at: datetime
    ) -> Sequence[PaymentOrder]:
        with self._timed("transition_through"):
            moved = await self.store.transition_through(order_id, steps, at)
        for step, order in zip(steps, moved, strict=False):
            self._moved(order, step.expected, None)
        return moved

    @contextlib.contextmanager
    def _timed(self, call: str) -> Iterator[None]:
        started, outcome = time.perf_counter(), "error"
        try:
            yield
            outcome = "ok"
        except StoreUnavailable:
            outcome = "unavailable"
            raise
        finally:
            seconds = time.perf_counter() - started
            self.metrics.store_seconds.labels(call, outcome).observe(seconds)

    def _moved(self, order: PaymentOrder, expected: OrderStatus, attempts: int | None) -> None:
        """The metric and the log event of one transition, read off the order after it."""
        history = order.history
        seconds = (history[-1].at - history[-2].at).total_seconds() if len(history) > 1 else 0.0
        target, reason = history[-1].status, history[-1].reason
        self.metrics.transition_seconds.labels(expected.value, target.value).observe(
            max(seconds, 0.0)
        )
        logger.info(
            "order %s: %s -> %s (%s)",
            order.id,
            expected,
            target,
            reason,
            extra={
                "event": "order.transition",
                "order_id": order.id,
                "from_status": expected,
                "to_status": target,
                "reason": reason,
                "attempts": attempts,
                "step_seconds": round(seconds, 6),
            },
        )

    async def mark_command_published(self, order_id: str) -> None:
        with self._timed("mark_command_published"):
            await self.store.mark_command_published(order_id)

    async def mark_event_published(self, order_id: str, at: datetime) -> None:
        with self._timed("mark_event_published"):
            await self.store.mark_event_published(order_id, at)

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        with self._timed("claim_event"):
            return await self.store.claim_event(order_id, at, lease)

    async def list(
        self,
        status: OrderStatus | None,
        limit: int,
        after: str | None,
        *,
        client_id: str | None = None,
    ) -> Sequence[PaymentOrder]:
        with self._timed("list"):
            return await self.store.list(status, limit, after, client_id=client_id)

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        with self._timed("count_by_status"):
            return await self.store.count_by_status()

    async def stale(
        self,
        statuses: Sequence[OrderStatus],
        updated_before: datetime,
        limit: int,
        *,
        unpublished: bool = False,
    ) -> Sequence[PaymentOrder]:
        with self._timed("stale"):
            return await self.store.stale(statuses, updated_before, limit, unpublished=unpublished)
