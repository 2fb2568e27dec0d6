"""A failed payment says why in the payment's terms, wherever a client reads it: the
order, its history, the console, the ``payment.failed`` event. The bank's address and
credentials reach none of them; operators find the technical cause, credentials
masked, in the dead-letter record and the logs. Real Kafka and FerretDB, the service
as its own process, a bank over HTTP that misbehaves by amount."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from infra.server import free_port
from infra.services import service_processes
from payments.domain.topics import TopicNames
from payments.gateway.errors import PaymentRejected, TransientGatewayError
from tests.payments.conftest import VALID_ORDER
from tests.payments.test_lifecycle import read_topic
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

UNAVAILABLE, REJECTED, SILENT = "5.03", "4.22", "9.99"  # what the bank does, by amount
TIMEOUT = 0.5  # GATEWAY_TIMEOUT
# GATEWAY_MAX_REDELIVERIES=2: three attempts.
EXPECTED = {
    UNAVAILABLE: "bank unavailable after 3 attempts",
    REJECTED: "rejected by the bank: account blocked",
    SILENT: "bank did not answer within 0.5 s (3 attempts)",
}


@pytest.fixture
async def misbehaving_bank() -> AsyncIterator[int]:
    """A bank on a free 127.0.0.1 port that never pays: it answers 503 (with its own
    words about its inside), refuses with a reason, or never answers, by amount."""
    never = asyncio.Event()

    async def pay(request: web.Request) -> web.Response:
        amount = (await request.json())["amount"]
        if amount == UNAVAILABLE:
            problem = {"status": 503, "detail": "bank down: node db-7.internal unreachable"}
            return web.json_response(problem, status=503)
        if amount == REJECTED:
            return web.json_response({"status": 422, "detail": "account blocked"}, status=422)
        await never.wait()  # silent until the test ends
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_post("/payments", pay)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield port
    await runner.cleanup()


async def test_a_failed_payment_says_why_in_its_own_terms_and_only_operators_see_where(
    misbehaving_bank: int,
    kafka_bootstrap: str,
    mongo_uri: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    port = misbehaving_bank
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": tenant,
        "KAFKA_TOPIC_PREFIX": f"{tenant}.",
        "GATEWAY_URL": f"http://user:secret@127.0.0.1:{port}",
        "GATEWAY_TIMEOUT": str(TIMEOUT),
        "GATEWAY_MAX_REDELIVERIES": "2",
        "GATEWAY_REDELIVERY_DELAY": "0.01",
        "LOG_FORMAT": "json",
    }
    async with (
        service_processes(tmp_path) as processes,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as client,
    ):
        service = await processes.start("all", env)
        await service.ready()
        ids = {}
        for amount in EXPECTED:
            order = {**VALID_ORDER, "amount": amount}
            async with client.post(f"{service.url}/payment-orders", json=order) as answer:
                assert answer.status == 201
                ids[amount] = (await answer.json())["id"]

        async def read(path: str) -> Any:
            async with client.get(f"{service.url}{path}") as answer:
                assert answer.status == 200
                return await answer.json()

        async def failed(order_id: str) -> dict[str, Any] | None:
            order: dict[str, Any] = await read(f"/payment-orders/{order_id}")
            return order if order["status"] == "FAILED" else None

        seen_by_clients: list[Any] = []
        for amount, order_id in ids.items():
            order = await eventually(partial(failed, order_id), deadline=30)
            history = await read(f"/payment-orders/{order_id}/history")
            timeline = await read(f"/console/api/orders/{order_id}/history")
            assert order["failureReason"] == EXPECTED[amount]
            assert history["history"][-1] == timeline["history"][-1]
            assert (history["history"][-1]["status"], history["history"][-1]["reason"]) == (
                "FAILED",
                EXPECTED[amount],
            )
            seen_by_clients += [order, history, timeline]

        topics = TopicNames(f"{tenant}.")
        events = await read_topic(kafka_bootstrap, topics.failed, 3)
        by_order = {json.loads(event.value)["orderId"]: json.loads(event.value) for event in events}
        assert {amount: by_order[ids[amount]]["reason"] for amount in ids} == EXPECTED
        seen_by_clients += [event.value.decode() for event in events]
        log = service.log.read_text()

    for seen in map(json.dumps, seen_by_clients):
        for internal in ("secret", "127.0.0.1", str(port), "http", "db-7", "Error"):
            assert internal not in seen, (internal, seen)

    # Operators: the dead letter names the cause and where, without the credentials.
    letters = await read_topic(kafka_bootstrap, topics.dead_letter, 3)
    causes = {
        json.loads(letter.value)["orderId"]: {k: v.decode() for k, v in letter.headers}
        for letter in letters
    }
    where = f"//***@127.0.0.1:{port}"
    unavailable, rejected, silent = (causes[ids[amount]] for amount in EXPECTED)
    assert where in unavailable["x-exception-message"]
    assert "db-7.internal unreachable" in unavailable["x-exception-message"]
    assert unavailable["x-exception-type"].endswith(TransientGatewayError.__qualname__)
    assert rejected["x-exception-type"].endswith(PaymentRejected.__qualname__)
    assert rejected["x-exception-message"].endswith("rejected: account blocked")
    assert where in silent["x-exception-message"]
    assert f"no answer within {TIMEOUT:g}s" in silent["x-exception-message"]
    assert all("secret" not in json.dumps(headers) for headers in causes.values())
    assert "secret" not in log
    assert where in log
