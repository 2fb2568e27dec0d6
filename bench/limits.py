"""What the infrastructure itself allows, measured in the same run as the orchestrator:
the Kafka produce-and-consume rate on a topic shaped like ``payment.execute``, and the
store's rate for exactly the writes one order needs, with the same client library."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.event_loop import to_completion
from payments.domain.model import OrderStatus, PaymentOrder, Transition
from payments.domain.store import Move, OrderRef, OrderStore, StatusChange
from payments.lifecycle.ingestion import changes_for
from payments.stores import MongoOrderStore


async def kafka_rate(bootstrap: str, messages: int, partitions: int) -> float:
    """Messages per second produced (idempotent, acks=all) and consumed back."""
    topic = f"bench-limit-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, partitions, 1)])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    payload = b'{"schemaVersion":1,"orderId":"%s","amount":"125.50","currency":"EUR"}'
    try:
        started = time.perf_counter()
        sends = [
            await producer.send(topic, payload % str(n).encode(), key=str(n).encode())
            for n in range(messages)
        ]
        await asyncio.gather(*sends)
        received = 0
        async with asyncio.timeout(120):
            while received < messages:
                batches = await consumer.getmany(timeout_ms=200)
                received += sum(len(batch) for batch in batches.values())
        return messages / (time.perf_counter() - started)
    finally:
        await producer.stop()
        await consumer.stop()
        await admin.delete_topics([topic])
        await admin.close()


def new_order() -> PaymentOrder:
    """A PENDING order as the API makes one (the anonymous client's, with no key)."""
    now = datetime.now(UTC)
    return PaymentOrder(
        id=str(uuid.uuid4()),
        debtor_account="DE89370400440532013000",
        creditor_account="GB82WEST12345698765432",
        amount=Decimal("125.50"),
        currency="EUR",
        status=OrderStatus.PENDING,
        created_at=now,
        updated_at=now,
        history=(Transition(status=OrderStatus.PENDING, at=now, reason="order received"),),
        request_hash="bench",
    )


async def write_orders(ingestion: OrderStore, worker: OrderStore, count: int) -> None:
    """Exactly the store calls the services make for ``count`` orders that travel
    together, in their order, each service's through a store of its own as two
    processes make them: ingestion creates them, moves each to EXECUTING in one write
    and settles their commands; a worker claims their payments, ends them and marks
    their events, all without reading them."""
    results = await ingestion.create_all([new_order() for _ in range(count)])
    orders = [result[0] for result in results if isinstance(result, tuple)]
    now = datetime.now(UTC)
    # The three transitions up to EXECUTING, which ingestion writes at once.
    before_command = changes_for(orders[0], now.date())
    await ingestion.move_all([Move(OrderRef.of(order), before_command, now) for order in orders])
    ids = [order.id for order in orders]
    await ingestion.settle(ids)
    await worker.claim_payments(ids)
    executing = [OrderRef(o.id, 1, now, o.client_id, o.created_at) for o in orders]
    paid = [StatusChange(OrderStatus.EXECUTING, OrderStatus.EXECUTED)]
    done = datetime.now(UTC)
    await worker.move_all([Move(ref, paid, done, 1) for ref in executing])
    await worker.mark_events_published(ids, datetime.now(UTC))


async def seconds_for_orders(
    ingestion: OrderStore, worker: OrderStore, orders: int, concurrency: int
) -> float:
    """Seconds for ``orders`` orders through ``write_orders``, ``concurrency`` together."""
    started = time.perf_counter()
    for first in range(0, orders, concurrency):
        await write_orders(ingestion, worker, min(concurrency, orders - first))
    return time.perf_counter() - started


class StoreLimit:
    """The store's rate for the calls of one order, measured in bursts into one
    database of its own: between the load levels, so that each level is compared with
    the store's rate at that moment (the machine's speed drifts within a run) and at
    that size (the rate falls as the collections grow, and the bursts grow the
    database as the levels grow the services'). Dropped at the end: its tables would
    otherwise take the server's vacuuming, and the disk, in later runs."""

    def __init__(self, mongo_uri: str) -> None:
        self.database = f"bench_limit_{uuid.uuid4().hex[:8]}"
        self.ingestion = MongoOrderStore(mongo_uri, self.database)
        self.worker = MongoOrderStore(mongo_uri, self.database)

    async def __aenter__(self) -> StoreLimit:
        await self.ingestion.start()
        await self.worker.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await to_completion(self._drop())

    async def _drop(self) -> None:
        try:
            await self.ingestion.revisions.database.client.drop_database(self.database)
        finally:
            await self.ingestion.stop()
            await self.worker.stop()

    async def rate(self, orders: int, concurrency: int) -> float:
        """Orders per second through ``write_orders``, ``concurrency`` together."""
        return orders / await seconds_for_orders(self.ingestion, self.worker, orders, concurrency)
