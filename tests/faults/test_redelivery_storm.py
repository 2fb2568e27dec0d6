"""A redelivery storm: one execute command for an EXECUTING order produced 100 times at
once, over every partition, so both workers of the group race on it — the bank
books it once, the order becomes EXECUTED once, and one ``payment.executed`` is
published."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from endpoints.exchange import utcnow
from payments.domain.messages import ExecutePaymentCommand
from payments.domain.model import OrderStatus, PaymentOrder, Transition
from payments.domain.topics import PROCESSOR_GROUP, TopicNames
from payments.stores import MongoOrderStore
from tests.faults.harness import Deploy, ledger_keys
from tests.faults.summary import FaultReport, check_ledger, report
from tests.faults.topics import events_by_order, group_caught_up, read_topic
from tests.payments.conftest import VALID_ORDER
from tests.payments.store_steps import executing
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults]

DELIVERIES = 100
PARTITIONS = 6


@pytest.fixture
async def store(mongo_uri: str, tenant: str) -> AsyncIterator[MongoOrderStore]:
    orders = MongoOrderStore(mongo_uri, database=tenant)
    await orders.start()
    yield orders
    await orders.stop()


async def executing_order(store: MongoOrderStore) -> PaymentOrder:
    """An order the API would have moved to EXECUTING, before its command goes out."""
    now = utcnow()
    return await executing(
        store,
        PaymentOrder(
            id=str(uuid.uuid4()),
            debtor_account=VALID_ORDER["debtorAccount"],
            creditor_account=VALID_ORDER["creditorAccount"],
            amount=Decimal(VALID_ORDER["amount"]),
            currency=VALID_ORDER["currency"],
            status=OrderStatus.PENDING,
            created_at=now,
            updated_at=now,
            history=(Transition(status=OrderStatus.PENDING, at=now),),
        ),
    )


async def test_one_command_delivered_a_hundred_times_pays_once(
    deploy: Deploy,
    store: MongoOrderStore,
    client: aiohttp.ClientSession,
    kafka_bootstrap: str,
    tenant: str,
) -> None:
    # No API: nothing but the storm sends commands. A slow bank widens the race.
    deployment = await deploy(
        workers=2, api=False, gateway_latency=0.05, execute_topic_partitions=PARTITIONS
    )
    topics = TopicNames(f"{tenant}.")
    order = await executing_order(store)
    value = ExecutePaymentCommand.for_order(order).model_dump_json(by_alias=True).encode()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    started = time.monotonic()
    try:
        await asyncio.gather(
            *(
                producer.send_and_wait(
                    topics.execute, value, key=order.id.encode(), partition=n % PARTITIONS
                )
                for n in range(DELIVERIES)
            )
        )
    finally:
        await producer.stop()

    group = f"{tenant}.{PROCESSOR_GROUP}"
    await eventually(lambda: group_caught_up(kafka_bootstrap, group, topics.execute), 60, 0.5)
    recovered_in = time.monotonic() - started
    final = await store.get(order.id)
    ledger = check_ledger([order.id], await ledger_keys(client, deployment.bank))
    events = await events_by_order(kafka_bootstrap, topics.executed, [order.id])
    letters = await read_topic(kafka_bootstrap, topics.dead_letter)
    executed = [step.status for step in final.history] if final else []
    # Each worker logs every duplicate it skipped: both must have had their share.
    skipped = [
        worker.log.read_text().count(f"order {order.id} is already")
        for worker in deployment.workers
    ]

    report(
        FaultReport(
            "redelivery-storm",
            1,
            f"{DELIVERIES} concurrent deliveries of one command over {PARTITIONS} partitions "
            f"to 2 workers",
            len(ledger.missing),
            len(ledger.doubled),
            recovered_in,
            note=(
                f"{events[order.id]} payment.executed, {len(letters)} dead letters, "
                f"duplicates skipped per worker {skipped}"
            ),
        )
    )
    assert final is not None
    assert final.status is OrderStatus.EXECUTED
    assert executed.count(OrderStatus.EXECUTED) == 1
    assert ledger.missing == ledger.doubled == ledger.unknown == set()
    assert events == {order.id: 1}
    assert letters == []
    assert all(skipped), "both workers must have raced on the order"
