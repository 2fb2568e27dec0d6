"""Waiting for topics to show in the cluster's metadata.

A created topic reaches the brokers' metadata a moment after ``CreateTopics``
returns (KRaft applies it asynchronously), so "does it exist?" needs a short wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient

TOPIC_VISIBILITY_DEADLINE = 5.0  # seconds


async def missing_topics(
    admin: AIOKafkaAdminClient, names: Iterable[str], within: float = TOPIC_VISIBILITY_DEADLINE
) -> set[str]:
    """The topics of ``names`` still unknown to the cluster after up to ``within`` s."""
    wanted = set(names)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        missing = wanted - set(await admin.list_topics())
        if not missing or loop.time() >= deadline:
            return missing
        await asyncio.sleep(0.1)
