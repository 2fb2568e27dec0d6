"""The Kafka topics of the payment flow, created explicitly with their partition counts
(the broker's automatic topic creation is off, so a misspelt topic is an error)."""

from __future__ import annotations

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from components.kafka import KafkaUnavailable
from components.kafka.topics import missing_topics
from payments.domain.topics import TopicNames

logger = logging.getLogger(__name__)

CREATION_DEADLINE = 15.0  # seconds


async def ensure_topics(bootstrap_servers: str, topics: TopicNames, partitions: int) -> None:
    wanted = {
        topics.execute: partitions,
        topics.dead_letter: 1,
        topics.executed: partitions,
        topics.failed: partitions,
        topics.cancelled: partitions,
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    try:
        await admin.start()
    except KafkaConnectionError:
        await admin.close()
        raise KafkaUnavailable("no broker answered") from None
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=partitions, replication_factor=1)
            for name, partitions in wanted.items()
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # created by another process
                await admin.create_topics(missing)
            logger.info("created topics %s", ", ".join(topic.name for topic in missing))
            still_missing = await missing_topics(admin, wanted, within=CREATION_DEADLINE)
            if still_missing:
                raise RuntimeError(f"topics not visible after creation: {sorted(still_missing)}")
    finally:
        await admin.close()
