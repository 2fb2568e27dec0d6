"""A processor worker killed (SIGKILL) in the middle of a run: the commands it took but
never committed are read again by the other workers, and every order is still paid
exactly once."""

from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from payments.domain.topics import TopicNames
from tests.faults.harness import (
    Deploy,
    Submission,
    booked,
    outcome,
    submit_orders,
)
from tests.faults.summary import FaultReport, report
from tests.faults.topics import events_by_order

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(300)]

ORDERS = 2000


async def test_a_worker_killed_mid_run_loses_and_doubles_nothing(
    deploy: Deploy, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    deployment = await deploy(workers=2)
    submission = Submission()
    keys = [f"{tenant}-{n}" for n in range(ORDERS)]
    submitting = asyncio.create_task(submit_orders(client, deployment.api, keys, submission))

    paid_before = len(await booked(client, deployment.bank, ORDERS // 4, deadline=60))
    assert not submitting.done(), "the kill must come while orders are still arriving"
    assert await deployment.workers[0].kill() == -signal.SIGKILL
    await deployment.add_worker()
    fault_over = time.monotonic()
    await submitting
    order_ids = list(submission.accepted.values())
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 180)
    recovered_in = time.monotonic() - fault_over
    executed = TopicNames(f"{tenant}.").executed
    events = await events_by_order(kafka_bootstrap, executed, order_ids, deadline=60)

    report(
        FaultReport(
            "worker-killed",
            len(order_ids),
            f"SIGKILL of 1 of 2 workers after {paid_before} payments; a new worker started",
            result.lost,
            result.duplicated,
            recovered_in,
            note=(
                f"payment.executed missing for {len(set(order_ids) - set(events))} orders, "
                f"repeated for {sum(count > 1 for count in events.values())}"
            ),
        )
    )
    assert len(set(order_ids)) == result.stored == ORDERS
    assert result.not_terminal == set(), "orders never finished"
    assert result.not_executed_once() == []
    assert result.ledger.missing == set()
    assert result.ledger.doubled == set()
    assert result.ledger.unknown == set()
    # A worker killed between the EXECUTED write and the event's outbox mark leaves its
    # command unacknowledged: the worker that reads it again publishes the event. So no
    # event is lost; one published just before the kill may come twice.
    assert set(events) == set(order_ids), "an executed order was never announced"
