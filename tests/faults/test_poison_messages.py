"""Poison on ``payment.execute``: records no retry can make sense of go to
``payment.execute.DLT`` with the reason in ``x-exception-message``, and the worker
goes on consuming — on a single partition, so the valid order sent after them
waits behind them and executes only if the worker moved past every one."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from aiokafka import AIOKafkaProducer

from payments.domain.topics import TopicNames
from tests.faults.harness import Deploy, outcome, submit_orders
from tests.faults.summary import FaultReport, report
from tests.faults.topics import header_values, read_topic
from tests.payments.wire import command_json
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults]

CASE = "fault-case"  # a header of each poison record, kept on its dead letter


# The case, its record value, and what the dead letter's reason must name.
POISON: dict[str, tuple[bytes | None, str]] = {
    "not-json": (b"\xff{ this is not json", "unreadable execution command"),
    "wrong-schema": (json.dumps({"orderId": 42, "amount": "lots"}).encode(), "debtorAccount"),
    "unknown-order": (command_json(), "no payment order"),
    "unknown-schema-version": (command_json(schemaVersion=99), "schemaVersion"),
    "tombstone": (None, "unreadable execution command"),
}


async def test_poison_commands_are_dead_lettered_and_the_worker_goes_on(
    deploy: Deploy, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    deployment = await deploy(workers=1, execute_topic_partitions=1)
    topics = TopicNames(f"{tenant}.")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for case, (value, _) in POISON.items():
            await producer.send_and_wait(
                topics.execute, value, key=case.encode(), headers=[(CASE, case.encode())]
            )
    finally:
        await producer.stop()
    poisoned = time.monotonic()
    submission = await submit_orders(client, deployment.api, [f"{tenant}-after-poison"])
    order_ids = list(submission.accepted.values())
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 60)
    recovered_in = time.monotonic() - poisoned

    async def all_dead_lettered() -> list[dict[str, str]]:
        letters = [header_values(r) for r in await read_topic(kafka_bootstrap, topics.dead_letter)]
        return letters if len(letters) >= len(POISON) else []

    letters = await eventually(all_dead_lettered, deadline=20, interval=0.5)
    commands = await read_topic(kafka_bootstrap, topics.execute)
    [valid] = [record.offset for record in commands if record.key == order_ids[0].encode()]
    report(
        FaultReport(
            "poison-messages",
            len(order_ids),
            f"{len(POISON)} poison records ({', '.join(POISON)}) before 1 valid order",
            result.lost,
            result.duplicated,
            recovered_in,
            note=f"{len(letters)} dead letters",
        )
    )
    assert sorted(letter[CASE] for letter in letters) == sorted(POISON)
    assert valid == len(POISON), "the valid command must sit behind every poison record"
    for letter in letters:
        reason = POISON[letter[CASE]][1]
        assert reason in letter["x-exception-message"], letter
        assert letter["x-exception-type"].endswith("PoisonCommand"), letter
        assert letter["x-failure-route-id"] == "execute-payment-order", letter
        assert letter["x-correlation-id"], "a poison record comes without one; its letter has it"
    assert result.not_executed_once() == []
    assert result.lost == result.duplicated == 0
    assert result.ledger.unknown == set(), "a poison record was paid"
