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
from datetime import date, datetime, timedelta

from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Created, Move, OrderStore, StoreUnavailable
from payments.service.metrics import PaymentMetrics

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

    async def create_all(self, orders: Sequence[PaymentOrder]) -> Sequence[Created]:
        with self._timed("create_all"):
            results = await self.store.create_all(orders)
        for result in results:
            if isinstance(result, tuple) and result[1]:
                self._created(result[0])
        return results

    def _created(self, order: PaymentOrder) -> None:
        self.metrics.orders_created.inc()
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "order %s created: %s %s",
                order.id,
                order.amount,
                order.currency,
                extra={
                    "event": "order.created",
                    "order_id": order.id,
                    "status": order.status,
                    "amount": str(order.amount),
                    "currency": order.currency,
                },
            )

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        with self._timed("get"):
            return await self.store.get(order_id, client_id=client_id)

    async def move_all(self, moves: Sequence[Move]) -> Sequence[bool]:
        with self._timed("move_all"):
            done = await self.store.move_all(moves)
        for move, applied in zip(moves, done, strict=True):
            if applied:
                self._moved(move)
        return done

    def _moved(self, move: Move) -> None:
        """The metric and the log event of each transition of a move."""
        since = move.order.since
        for change in move.changes:
            seconds = max((move.at - since).total_seconds(), 0.0)
            since = move.at
            self.metrics.transition_seconds.labels(
                change.expected.value, change.target.value
            ).observe(seconds)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "order %s: %s -> %s (%s)",
                    move.order_id,
                    change.expected,
                    change.target,
                    change.reason,
                    extra={
                        "event": "order.transition",
                        "order_id": move.order_id,
                        "from_status": change.expected,
                        "to_status": change.target,
                        "reason": change.reason,
                        "attempts": move.attempts if change is move.changes[-1] else None,
                        "step_seconds": round(seconds, 6),
                    },
                )

    async def claim_payments(self, order_ids: Sequence[str]) -> Sequence[bool]:
        with self._timed("claim_payments"):
            return await self.store.claim_payments(order_ids)

    async def settle(self, order_ids: Sequence[str]) -> None:
        with self._timed("settle"):
            await self.store.settle(order_ids)

    async def owe(self, order_ids: Sequence[str], at: datetime) -> None:
        with self._timed("owe"):
            await self.store.owe(order_ids, at)

    async def owing(self, before: datetime, limit: int) -> Sequence[PaymentOrder]:
        with self._timed("owing"):
            return await self.store.owing(before, limit)

    async def schedule(self, due: Mapping[str, date]) -> None:
        with self._timed("schedule"):
            await self.store.schedule(due)

    async def due(self, day: date, limit: int) -> Sequence[PaymentOrder]:
        with self._timed("due"):
            return await self.store.due(day, limit)

    async def unschedule(self, order_ids: Sequence[str]) -> None:
        with self._timed("unschedule"):
            await self.store.unschedule(order_ids)

    async def mark_events_published(self, order_ids: Sequence[str], at: datetime) -> None:
        with self._timed("mark_events_published"):
            await self.store.mark_events_published(order_ids, at)

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

    async def summarise(self) -> None:
        with self._timed("summarise"):
            await self.store.summarise()

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
