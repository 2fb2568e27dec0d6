"""One order through two services run as processes, as deployed: the correlation id
the client sent is in the JSON logs of both, on the transition events of that order,
and no account number is anywhere in clear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from infra.services import ServiceProcess, service_processes
from tests.payments.conftest import VALID_ORDER
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

CORRELATION = "client-order-0001"


def events(service: ServiceProcess) -> list[dict[str, Any]]:
    """The log's JSON lines (everything the process writes is one)."""
    return [json.loads(line) for line in service.log.read_text().splitlines() if line.strip()]


def transitions(service: ServiceProcess, order_id: str) -> list[dict[str, Any]]:
    return [
        event
        for event in events(service)
        if event.get("event") == "order.transition" and event.get("order_id") == order_id
    ]


async def test_the_correlation_id_travels_through_kafka_into_the_processors_log(
    client: aiohttp.ClientSession, kafka_bootstrap: str, mongo_uri: str, tenant: str, tmp_path: Path
) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": tenant,
        "KAFKA_TOPIC_PREFIX": f"{tenant}.",
        "LOG_FORMAT": "json",
    }
    async with service_processes(tmp_path) as processes:
        ingest = await processes.start("ingest", env)
        await ingest.ready()
        process = await processes.start("process", env)
        await process.ready()
        async with client.post(
            f"{ingest.url}/payment-orders",
            json=VALID_ORDER,
            headers={"X-Correlation-ID": CORRELATION},
        ) as response:
            assert response.status == 201
            assert response.headers["X-Correlation-ID"] == CORRELATION
            order_id = (await response.json())["id"]
        executed = await eventually(
            lambda: [e for e in transitions(process, order_id) if e["to_status"] == "EXECUTED"],
            deadline=30,
        )

    [done] = executed
    assert done["correlation_id"] == CORRELATION
    assert done["route_id"] == "execute-payment-order"
    assert done["from_status"] == "EXECUTING"
    assert len(done["exchange_id"]) == 32
    ingested = transitions(ingest, order_id)
    assert [event["to_status"] for event in ingested] == ["VALIDATED", "ACCEPTED", "EXECUTING"]
    assert {event["correlation_id"] for event in ingested} == {CORRELATION}
    assert {event["route_id"] for event in ingested} == {"advance-payment-order"}
    [created] = [e for e in events(ingest) if e.get("event") == "order.created"]
    assert (created["order_id"], created["correlation_id"]) == (order_id, CORRELATION)
    assert created["route_id"] == "create-payment-order"
    for service in (ingest, process):
        text = service.log.read_text()
        for account in (VALID_ORDER["debtorAccount"], VALID_ORDER["creditorAccount"]):
            assert account not in text
            assert account[-10:] not in text
