"""Kafka stopped in the middle of a run and started again: the API keeps taking orders
(they are stored first), their execution commands go out once the broker is back —
sent by the waiting producer or by the recovery sweep — and each order is paid once."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from infra import Stack
from payments.domain.topics import TopicNames
from tests.faults.harness import ANSWER_BOUND, Deploy, outcome, submit_orders
from tests.faults.summary import FaultReport, report
from tests.faults.topics import events_by_order

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(180)]

ORDERS = 240  # a third before the stop, a third while Kafka is away, a third after


async def test_orders_taken_while_the_broker_is_down_are_all_paid_once(
    deploy: Deploy,
    client: aiohttp.ClientSession,
    stack: Stack,
    kafka_bootstrap: str,
    tenant: str,
) -> None:
    deployment = await deploy(workers=2, recovery_period=1, recovery_after=5)
    keys = [f"{tenant}-{n}" for n in range(ORDERS)]
    before, during, after = (
        keys[: ORDERS // 3],
        keys[ORDERS // 3 : -ORDERS // 3],
        keys[-ORDERS // 3 :],
    )
    taken = await submit_orders(client, deployment.api, before)

    stopped = time.monotonic()
    await asyncio.to_thread(stack.kafka.stop)
    while_down = await submit_orders(client, deployment.api, during)
    await asyncio.to_thread(stack.kafka.start)
    fault_over = time.monotonic()
    rest = await submit_orders(client, deployment.api, after)

    order_ids = [
        *taken.accepted.values(),
        *while_down.accepted.values(),
        *rest.accepted.values(),
    ]
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 90)
    recovered_in = time.monotonic() - fault_over
    executed = TopicNames(f"{tenant}.").executed
    events = await events_by_order(kafka_bootstrap, executed, order_ids)
    advance = deployment.service.engine.routes["advance-payment-order"].metrics
    report(
        FaultReport(
            "broker-restart",
            len(order_ids),
            f"Kafka stopped, back after {fault_over - stopped:.1f}s; "
            f"{len(during)} orders taken meanwhile",
            result.lost,
            result.duplicated,
            recovered_in,
            note=(
                f"{advance.failed} publishes failed, {advance.completed - ORDERS} orders "
                f"advanced again by the recovery sweep; payment.executed missing for "
                f"{len(set(order_ids) - set(events))} orders"
            ),
        )
    )
    assert len(set(order_ids)) == result.stored == ORDERS
    assert set(while_down.statuses) == {201}, "the API must take orders without Kafka"
    assert while_down.slowest < ANSWER_BOUND
    assert result.not_terminal == set(), "orders never finished"
    assert result.not_executed_once() == []
    assert result.ledger.missing == set()
    assert result.ledger.doubled == set()
    assert result.ledger.unknown == set()
    assert max(events.values()) == 1, "an order announced as executed twice"
