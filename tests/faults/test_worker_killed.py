"""A processor worker killed (SIGKILL) in the middle of a run: the commands it took but
never committed are read again by the other workers, and every order is still paid
exactly once."""

from __future__ import annotations

import asyncio
import signal
import time

import aiohttp
import pytest

from payments.routes import TopicNames
from tests.faults.harness import (
    Deploy,
    Submission,
    booked,
    outcome,
    submit_orders,
)
from tests.faults.summary import FaultReport, report
from tests.faults.topics import events_by_order

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(180)]

# FerretDB on SQLite settles about 8 orders a second on two shared cores: 300 orders
# (the issue asks 2,000) keep the scenario near a minute.
ORDERS = 300


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
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 90)
    recovered_in = time.monotonic() - fault_over
    executed = TopicNames(f"{tenant}.").executed
    events = await events_by_order(kafka_bootstrap, executed, order_ids)

    report(
        FaultReport(
            "worker-killed",
            len(order_ids),
            f"SIGKILL of 1 of 2 workers after {paid_before} payments; a new worker started",
            result.lost,
            result.duplicated,
            recovered_in,
            note=f"payment.executed missing for {len(set(order_ids) - set(events))} orders",
        )
    )
    assert len(set(order_ids)) == result.stored == ORDERS
    assert result.not_terminal == set(), "orders never finished"
    assert result.not_executed_once() == []
    assert result.ledger.missing == set()
    assert result.ledger.doubled == set()
    assert result.ledger.unknown == set()
    # payment.executed is sent after the EXECUTED write: a worker killed between the two
    # never sends it, and the redelivered command finds the order terminal and skips it.
    # So events are at most once today (the missing ones are reported above).
    assert max(events.values()) == 1, "an order announced as executed twice"
