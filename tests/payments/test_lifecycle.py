"""The payment order lifecycle end to end: HTTP API → MongoDB-wire store → Kafka →
processor → gateway, on the real servers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from endpoints.exchange import utcnow
from endpoints.headers import CORRELATION_ID, TRACE_CONTEXT
from infra.services import service_processes
from payments.bank import SimulatedBank
from payments.domain.messages import ExecutePaymentCommand
from payments.domain.model import ANONYMOUS_CLIENT, PaymentOrder
from payments.domain.topics import TopicNames
from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.store_steps import executing, new_order
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

ORDER = VALID_ORDER
LIFECYCLE = ["PENDING", "VALIDATED", "ACCEPTED", "EXECUTING", "EXECUTED"]


async def post(
    client: aiohttp.ClientSession, service: PaymentService, body: Any, key: str | None = None
) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    headers = {"Idempotency-Key": key} if key else {}
    async with client.post(f"{service.http.url}/payment-orders", json=body, headers=headers) as r:
        return r.status, await r.json(content_type=None), r


async def get(client: aiohttp.ClientSession, service: PaymentService, path: str) -> Any:
    async with client.get(f"{service.http.url}{path}") as response:
        return response.status, await response.json(content_type=None)


async def until_terminal(
    client: aiohttp.ClientSession, service: PaymentService, order_id: str, deadline: float = 30
) -> dict[str, Any]:
    async def terminal() -> dict[str, Any] | None:
        _, order = await get(client, service, f"/payment-orders/{order_id}")
        return dict(order) if order["status"] in ("EXECUTED", "FAILED", "CANCELLED") else None

    order: dict[str, Any] = await eventually(terminal, deadline)
    return order


async def read_topic(bootstrap: str, topic: str, count: int, deadline: float = 20) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(deadline):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=200)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_an_order_reaches_executed_with_its_whole_history_in_order(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    status, created, response = await post(client, service, ORDER)

    assert status == 201
    assert response.headers["Location"] == f"/payment-orders/{created['id']}"
    assert response.content_type == "application/json"
    assert {key: created[key] for key in ORDER} == ORDER
    assert created["status"] == "PENDING"

    order = await until_terminal(client, service, created["id"])
    assert order["status"] == "EXECUTED"
    assert order["amount"] == "125.50"
    status, history = await get(client, service, f"/payment-orders/{created['id']}/history")
    assert status == 200
    assert [step["status"] for step in history["history"]] == LIFECYCLE
    stamps = [step["at"] for step in history["history"]]
    assert stamps == sorted(stamps)
    assert len(bank.entries_for(created["id"])) == 1
    [event] = await read_topic(kafka_bootstrap, TopicNames(f"{tenant}.").executed, 1)
    assert event.key == created["id"].encode()
    assert json.loads(event.value)["status"] == "EXECUTED"


async def test_an_orders_end_to_end_id_and_remittance_are_shown_and_reach_the_bank(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    referenced = {**ORDER, "endToEndId": "INV-2026-0042", "remittanceInformation": "Invoice 42"}
    status, created, _ = await post(client, service, referenced, key="ref-1")
    assert status == 201
    assert (created["endToEndId"], created["remittanceInformation"]) == (
        "INV-2026-0042",
        "Invoice 42",
    )
    order = await until_terminal(client, service, created["id"])
    assert order["status"] == "EXECUTED"
    assert (order["endToEndId"], order["remittanceInformation"]) == ("INV-2026-0042", "Invoice 42")
    [booked] = bank.entries_for(created["id"])
    assert (booked.end_to_end_id, booked.remittance_information) == ("INV-2026-0042", "Invoice 42")
    # The reference is part of the request: the same key with another one is refused.
    again, _, _ = await post(
        client, service, {**referenced, "endToEndId": "INV-2026-0043"}, "ref-1"
    )
    assert again == 422


async def test_transient_gateway_failures_are_retried_until_success(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    bank = SimulatedBank(transient_failure_rate=0.5, seed=3)
    service = await start_service(bank=bank, gateway_max_redeliveries=20)
    ids = [(await post(client, service, ORDER))[1]["id"] for _ in range(6)]
    orders = [await until_terminal(client, service, order_id) for order_id in ids]
    assert {order["status"] for order in orders} == {"EXECUTED"}
    assert max(order["attempts"] for order in orders) > 1  # some needed redeliveries
    assert all(len(bank.entries_for(order_id)) == 1 for order_id in ids)


async def test_exhausted_retries_fail_the_order_and_dead_letter_the_command(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    bank = SimulatedBank(transient_failure_rate=1.0)
    service = await start_service(bank=bank, gateway_max_redeliveries=2)
    _, created, _ = await post(client, service, ORDER)

    order = await until_terminal(client, service, created["id"])
    assert order["status"] == "FAILED"
    assert order["attempts"] == 3
    assert order["failureReason"]
    topics = TopicNames(f"{tenant}.")
    [letter] = await read_topic(kafka_bootstrap, topics.dead_letter, 1)
    assert json.loads(letter.value)["orderId"] == created["id"]
    letter_headers = {name: value.decode() for name, value in letter.headers}
    assert letter_headers["x-attempts"] == "3"
    assert "TransientGatewayError" in letter_headers["x-exception-type"]
    [event] = await read_topic(kafka_bootstrap, topics.failed, 1)
    assert json.loads(event.value)["status"] == "FAILED"
    assert bank.ledger() == []


# Headers named like the engine's and the lifecycle's own, as any client may send them.
FORGED_HEADERS = {
    "CamelRedeliveryCounter": "abc",
    "camelredelivered": "true",
    "x-attempts": "zz",
    "x-exception-type": "Forged",
    "CamelDuplicateMessage": "true",
    "kafka.key": "someone-else",
    "paymentNext": "pay",
    "paymentOrderId": "someone-else",
    "paymentCreated": "false",
}


async def test_a_clients_headers_end_with_its_request(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    """Whatever headers a request carries, its order is paid once and EXECUTED at the
    first attempt, and its command carries none of them: once, one forged counter made
    the worker fail orders the bank had paid."""
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    url = f"{service.http.url}/payment-orders"
    async with client.post(url, json=ORDER, headers=FORGED_HEADERS) as answer:
        assert answer.status == 201
        created = await answer.json()

    order = await until_terminal(client, service, created["id"])
    assert (order["status"], order["attempts"]) == ("EXECUTED", 1)
    assert len(bank.entries_for(created["id"])) == 1
    [command] = await read_topic(kafka_bootstrap, TopicNames(f"{tenant}.").execute, 1)
    assert command.key == created["id"].encode()
    sent = {name for name, _ in command.headers}
    assert sent - set(TRACE_CONTEXT) == {CORRELATION_ID}


async def test_the_same_command_delivered_twice_pays_once(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    _, created, _ = await post(client, service, ORDER)
    await until_terminal(client, service, created["id"])

    async def settled() -> PaymentOrder | None:  # its event published and marked
        order = await service.store.get(created["id"])
        return order if order is not None and order.event_published_at is not None else None

    stored = await eventually(settled)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(
                TopicNames(f"{tenant}.").execute,
                ExecutePaymentCommand.for_order(stored).model_dump_json(by_alias=True).encode(),
                key=stored.id.encode(),
            )
    finally:
        await producer.stop()
    route = service.engine.routes["execute-payment-order"]
    await eventually(lambda: route.metrics.completed >= 3)
    assert len(bank.entries_for(created["id"])) == 1
    assert (await service.store.get(created["id"])) == stored


async def test_idempotency_key_returns_the_same_order_and_refuses_another_body(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service()
    first_status, first, _ = await post(client, service, ORDER, key="key-1")
    again_status, again, _ = await post(client, service, ORDER, key="key-1")
    other_status, problem, response = await post(
        client, service, {**ORDER, "amount": "1.00"}, key="key-1"
    )
    assert (first_status, again_status, other_status) == (201, 200, 422)
    assert again["id"] == first["id"]
    assert response.content_type == "application/problem+json"
    assert problem["errors"][0]["field"] == "Idempotency-Key"


async def test_fifty_concurrent_posts_with_one_key_create_one_order(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service()
    answers = await asyncio.gather(*(post(client, service, ORDER, key="burst") for _ in range(50)))
    statuses = sorted(status for status, _, _ in answers)
    assert statuses.count(201) == 1
    assert statuses.count(200) == 49
    assert len({body["id"] for _, body, _ in answers}) == 1
    _, page = await get(client, service, "/payment-orders?limit=100")
    assert len(page["items"]) == 1


async def test_two_processor_workers_share_the_partitions_and_finish_every_order(
    start_service: StartService,
    client: aiohttp.ClientSession,
    kafka_bootstrap: str,
    mongo_uri: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    """Separate processes, as deployed: a bank, two processor workers, the API."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": tenant,
        "KAFKA_TOPIC_PREFIX": f"{tenant}.",
    }
    async with service_processes(tmp_path) as processes:
        bank = await processes.start("gateway", env)
        await bank.ready("/health")
        ingest = await start_service("ingest", gateway_url=bank.url)
        workers = [
            await processes.start("process", {**env, "GATEWAY_URL": bank.url}) for _ in range(2)
        ]
        for worker in workers:
            await worker.ready()  # ready = owns partitions of payment.execute
        ids = [(await post(client, ingest, ORDER))[1]["id"] for _ in range(30)]
        orders = [await until_terminal(client, ingest, order_id, deadline=60) for order_id in ids]

        assert {order["status"] for order in orders} == {"EXECUTED"}
        async with client.get(f"{bank.url}/ledger") as response:
            ledger = await response.json()
        assert ledger["count"] == 30
        assert sorted(entry["idempotencyKey"] for entry in ledger["entries"]) == sorted(ids)
        owned = []
        for worker in workers:
            async with client.get(f"{worker.url}/health/ready") as response:
                owned.append((await response.json())["checks"]["partitions"])
        assert all(state.startswith("UP: ") for state in owned), owned


async def test_an_order_whose_command_was_never_published_still_finishes(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    """A crash between the store write and the send: the recovery sweep publishes it."""
    bank = SimulatedBank()
    service = await start_service(bank=bank, recovery_period=0.2, recovery_after=0.5)
    lifecycle_route = service.engine.routes["queue-payment-order"]
    # Simulate the crash: the lifecycle route stops before it runs.
    assert lifecycle_route.consumer is not None
    await lifecycle_route.consumer.stop()
    _, created, _ = await post(client, service, ORDER)
    order = await until_terminal(client, service, created["id"])
    assert order["status"] == "EXECUTED"
    assert len(bank.entries_for(created["id"])) == 1


async def test_an_order_left_executing_before_its_command_was_sent_still_finishes(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    """A crash between the EXECUTING write and the send leaves the command owed; the
    recovery sweep publishes it and the order is paid once."""
    bank = SimulatedBank()
    service = await start_service(bank=bank, recovery_period=0.2, recovery_after=0.5)
    order = await executing(service.store, new_order(at=utcnow(), client=ANONYMOUS_CLIENT))

    done = await until_terminal(client, service, order.id)

    assert done["status"] == "EXECUTED"
    assert len(bank.entries_for(order.id)) == 1
