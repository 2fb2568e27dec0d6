"""FerretDB crashed (SIGKILL: a graceful stop serves on for seconds) in the middle of
a run, then started again: the API answers 503 problem+json at once (no 500, no hang),
readiness says the store is down while liveness stays up, and once the store is back
the services resume by themselves, losing and doubling nothing — a client that retries
a 503 with the same Idempotency-Key gets exactly one order."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from infra import Stack
from tests.faults.harness import (
    ANSWER_BOUND,
    Answer,
    Deploy,
    Submission,
    outcome,
    post_order,
    request,
    submit_orders,
)
from tests.faults.summary import FaultReport, report
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(180)]

ORDERS = 180
PROBES = 5  # orders posted while the store is down, one at a time


def assert_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer
    assert answer.content_type == "application/problem+json", answer
    assert answer.body["status"] == 503, answer
    assert answer.seconds < ANSWER_BOUND, answer


async def test_a_store_outage_answers_503_and_heals_by_itself(
    deploy: Deploy, client: aiohttp.ClientSession, stack: Stack, tenant: str
) -> None:
    deployment = await deploy(workers=1, recovery_period=1, recovery_after=5)
    api, [worker] = deployment.api, deployment.workers
    keys = [f"{tenant}-{n}" for n in range(ORDERS)]
    probe_keys = [f"{tenant}-probe-{n}" for n in range(PROBES)]
    submission = Submission()
    submitting = asyncio.create_task(submit_orders(client, api, keys, submission, deadline=150))
    await eventually(lambda: len(submission.accepted) >= ORDERS // 2, deadline=60)

    killed_at = time.monotonic()
    await asyncio.to_thread(stack.ferretdb.kill)
    probes = [await post_order(client, api, key) for key in probe_keys]
    ready = await request(client, "GET", api + "/health/ready")
    live = await request(client, "GET", api + "/health/live")
    worker_ready = await request(client, "GET", worker.url + "/health/ready")
    await asyncio.to_thread(stack.ferretdb.start)
    fault_over = time.monotonic()

    for answer in probes:
        assert_unavailable(answer)
    assert ready.status == 503, ready
    assert ready.body["checks"]["store"].startswith("DOWN"), ready
    assert worker_ready.status == 503, worker_ready
    assert worker_ready.body["checks"]["store"].startswith("DOWN"), worker_ready
    assert live.status == 200, live
    assert ready.seconds < ANSWER_BOUND
    assert live.seconds < ANSWER_BOUND

    async def api_ready() -> bool:
        return (await request(client, "GET", api + "/health/ready")).status == 200

    await eventually(api_ready, deadline=30, interval=0.2)
    await submitting
    await submit_orders(client, api, probe_keys, submission)  # the client's retry of its 503s
    order_ids = list(submission.accepted.values())
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 90)
    recovered_in = time.monotonic() - fault_over

    report(
        FaultReport(
            "store-outage",
            len(order_ids),
            f"FerretDB killed, back after {fault_over - killed_at:.1f}s; "
            f"{submission.statuses[503] + PROBES} answers 503, slowest "
            f"{max(answer.seconds for answer in probes):.1f}s",
            result.lost,
            result.duplicated,
            recovered_in,
        )
    )
    assert len(set(order_ids)) == result.stored == ORDERS + PROBES
    assert result.not_terminal == set(), "orders never finished"
    assert result.not_executed_once() == []
    assert result.ledger.missing == set()
    assert result.ledger.doubled == set()
    assert result.ledger.unknown == set()
