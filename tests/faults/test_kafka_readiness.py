"""Kafka stopped: readiness of the API and of a worker turns 503 naming Kafka within
seconds while liveness stays up, and turns 200 again once the broker is back."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from infra import Stack
from tests.faults.harness import ANSWER_BOUND, Answer, Deploy, request
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(150)]


async def test_readiness_flips_while_kafka_is_stopped(
    deploy: Deploy, client: aiohttp.ClientSession, stack: Stack
) -> None:
    deployment = await deploy(workers=1)
    urls = [deployment.api, deployment.workers[0].url]

    async def readiness(status: int) -> list[Answer] | None:
        answers = [await request(client, "GET", url + "/health/ready") for url in urls]
        return answers if all(answer.status == status for answer in answers) else None

    await eventually(lambda: readiness(200), deadline=30, interval=0.2)
    await asyncio.to_thread(stack.kafka.stop)
    try:
        down = await eventually(lambda: readiness(503), deadline=30, interval=0.2)
        live = [await request(client, "GET", url + "/health/live") for url in urls]
    finally:
        await asyncio.to_thread(stack.kafka.start)
    for answer in down:
        assert answer.body["down"] == ["kafka"], answer
        assert answer.body["checks"]["kafka"].startswith("DOWN: "), answer
        assert answer.body["checks"]["store"] == "UP", answer
        assert answer.seconds < ANSWER_BOUND, answer
    assert [answer.status for answer in live] == [200, 200]
    back = await eventually(lambda: readiness(200), deadline=60, interval=0.5)
    assert all(answer.body["down"] == [] for answer in back)
