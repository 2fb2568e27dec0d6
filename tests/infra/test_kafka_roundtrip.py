"""The real broker: keyed records land on every partition and come back intact."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError

from tests.conftest import TopicFactory

pytestmark = pytest.mark.kafka


async def test_keyed_records_round_trip_through_every_partition(
    kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("roundtrip", partitions=3)
    sent = {f"order-{n}".encode(): f"payload-{n}".encode() for n in range(60)}

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        partition_of_key = {}
        for key, value in sent.items():
            metadata = await producer.send_and_wait(topic, value, key=key)
            partition_of_key[key] = metadata.partition
    finally:
        await producer.stop()
    assert set(partition_of_key.values()) == {0, 1, 2}

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: dict[bytes, bytes] = {}
    partitions_seen: dict[int, int] = defaultdict(int)
    try:
        async with asyncio.timeout(30):
            while len(received) < len(sent):
                batches = await consumer.getmany(timeout_ms=500)
                for tp, records in batches.items():
                    for record in records:
                        assert record.key is not None
                        assert record.value is not None
                        assert partition_of_key[record.key] == tp.partition
                        received[record.key] = record.value
                        partitions_seen[tp.partition] += 1
    finally:
        await consumer.stop()

    assert received == sent
    assert sorted(partitions_seen) == [0, 1, 2]


async def test_auto_topic_creation_is_off(
    kafka_bootstrap: str, kafka_admin: AIOKafkaAdminClient
) -> None:
    """A typo in a topic name must be an error, not a new topic."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, request_timeout_ms=2000)
    await producer.start()
    try:
        with pytest.raises(UnknownTopicOrPartitionError):
            await producer.send_and_wait("no-such-topic-anywhere", b"x")
    finally:
        await producer.stop()
    assert "no-such-topic-anywhere" not in await kafka_admin.list_topics()
