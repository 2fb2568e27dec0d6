"""The benchmark's watcher of ``payment.executed``, against the real Kafka broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from bench.load import ExecutedWatcher
from payments.domain.messages import PaymentEvent
from payments.domain.model import OrderStatus
from tests.conftest import TopicFactory

pytestmark = pytest.mark.kafka


async def test_an_order_counts_as_executed_when_its_event_says_not_when_it_arrives(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("executed", partitions=1)
    watcher = ExecutedWatcher(kafka_bootstrap, topic)
    await watcher.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        executed = datetime.now(UTC) - timedelta(seconds=5)
        event = PaymentEvent(order_id="o-1", status=OrderStatus.EXECUTED, at=executed)
        await producer.send_and_wait(topic, b"not an event", key=b"o-0")
        await producer.send_and_wait(topic, event.model_dump_json(by_alias=True).encode())

        await watcher.wait_for(["o-1"], deadline=30)
        await watcher.collect(["o-1"])
        seconds_ago = time.perf_counter() - watcher.executed_at["o-1"]
    finally:
        await producer.stop()
        await watcher.stop()

    assert 5 <= seconds_ago < 20
    assert set(watcher.executed_at) == {"o-1"}  # the unreadable record is no order
