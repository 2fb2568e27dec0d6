"""Reading back what the services wrote to Kafka — a topic up to its current end, the
events per order, a consumer group's committed offsets — with clients of no group."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from tests.polling import eventually


@contextlib.asynccontextmanager
async def kafka_clients(
    bootstrap: str,
) -> AsyncIterator[tuple[AIOKafkaAdminClient, AIOKafkaConsumer]]:
    """An admin client and a consumer of no group, to read what the services wrote."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    try:
        await consumer.start()
        try:
            yield admin, consumer
        finally:
            await consumer.stop()
    finally:
        await admin.close()


async def _end_offsets(
    admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer, topic: str
) -> dict[TopicPartition, int]:
    [described] = await admin.describe_topics([topic])
    partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
    assert partitions, f"no topic {topic}"
    ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
    return ends


async def read_topic(bootstrap: str, topic: str, deadline: float = 20) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to its end offsets as they are now."""
    records: list[ConsumerRecord] = []
    async with kafka_clients(bootstrap) as (admin, consumer):
        ends = await _end_offsets(admin, consumer, topic)
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)

        async def behind() -> bool:
            read_up_to = [await consumer.position(tp) for tp in ends]
            return any(at < end for at, end in zip(read_up_to, ends.values(), strict=True))

        async with asyncio.timeout(deadline):
            while await behind():
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
    return records


async def group_caught_up(bootstrap: str, group_id: str, topic: str) -> bool:
    """True when ``group_id`` has committed every record of ``topic`` written so far."""
    async with kafka_clients(bootstrap) as (admin, consumer):
        ends = await _end_offsets(admin, consumer, topic)
        committed = await admin.list_consumer_group_offsets(group_id)
    return all(
        end == 0 or (tp in committed and committed[tp].offset >= end) for tp, end in ends.items()
    )


async def events_by_order(
    bootstrap: str, topic: str, order_ids: Iterable[str], deadline: float = 5
) -> Counter[str]:
    """How many events ``topic`` holds per order id (the record key), once it has one
    for each of ``order_ids`` — or at the deadline. An event follows its order's last
    store write by milliseconds, unless its worker died in between: then it comes when
    another worker reads the command again (after a rebalance and
    ``Lifecycle.event_grace``), so a deadline after a crash must allow for that."""
    wanted = set(order_ids)
    counts: Counter[str] = Counter()

    async def all_there() -> bool:
        records = await read_topic(bootstrap, topic)
        counts.clear()
        counts.update(record.key.decode() for record in records)
        return wanted <= set(counts)

    with contextlib.suppress(TimeoutError):
        await eventually(all_there, deadline, interval=0.5)
    return counts


def header_values(record: ConsumerRecord) -> dict[str, str]:
    return {name: value.decode(errors="replace") for name, value in record.headers}
