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

from payments.model import OrderStatus, PaymentOrder, Transition
from payments.store import OrderStore, Step
from payments.stores import MongoOrderStore

# The store writes of one order after its insert, as the services make them: the three
# transitions before the command at once, the command's outbox mark, the final
# transition and the event's mark.
BEFORE_COMMAND = (
    Step(OrderStatus.PENDING, OrderStatus.VALIDATED),
    Step(OrderStatus.VALIDATED, OrderStatus.ACCEPTED),
    Step(OrderStatus.ACCEPTED, OrderStatus.EXECUTING),
)
# Conditional changes of one order after its insert: those three, two marks, the end.
ORDER_CHANGES = len(BEFORE_COMMAND) + 3


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


def _order() -> PaymentOrder:
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
        history=(Transition(status=OrderStatus.PENDING, at=now),),
        request_hash="bench",
    )


async def write_one_order(store: OrderStore) -> None:
    """Exactly the store calls the services make for one order, in their order."""
    order, _ = await store.create(_order())
    await store.transition_through(order.id, BEFORE_COMMAND, datetime.now(UTC))
    await store.mark_command_published(order.id)
    await store.transition(order.id, OrderStatus.EXECUTING, OrderStatus.EXECUTED, datetime.now(UTC))
    await store.mark_event_published(order.id, datetime.now(UTC))


async def store_rate(mongo_uri: str, orders: int, concurrency: int) -> float:
    """Orders per second through the order write pattern, ``concurrency`` at a time."""
    store = MongoOrderStore(mongo_uri, database=f"bench_limit_{uuid.uuid4().hex[:8]}")
    await store.start()
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await write_one_order(store)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(orders)))
        return orders / (time.perf_counter() - started)
    finally:
        await store.stop()
