"""What an operator sees of known traffic, on the real servers: the metrics, the
readiness body, and the correlation id answered to the client."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from payments.bank import SimulatedBank
from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.test_lifecycle import post, until_terminal
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

EXECUTE = "execute-payment-order"


class Scrape:
    def __init__(self, text: str) -> None:
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        return self.samples[(name, frozenset(labels.items()))]

    def labelled(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample, labels in self.samples if sample == name]


async def scrape(client: aiohttp.ClientSession, service: PaymentService) -> Scrape:
    async with client.get(f"{service.http.url}/metrics") as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        return Scrape(await response.text())


async def test_metrics_count_five_orders_through_every_step(
    start_service: StartService, client: aiohttp.ClientSession, tenant: str
) -> None:
    service = await start_service()
    ids = [(await post(client, service, VALID_ORDER))[1]["id"] for _ in range(5)]
    for order_id in ids:
        assert (await until_terminal(client, service, order_id))["status"] == "EXECUTED"

    async def settled() -> Scrape | None:
        metrics = await scrape(client, service)
        done = metrics.value("route_exchanges_completed_total", route=EXECUTE) == 5
        lags = [
            metrics.value("kafka_consumer_lag", **labels)
            for labels in metrics.labelled("kafka_consumer_lag")
        ]
        return metrics if done and lags and not any(lags) else None

    metrics: Scrape = await eventually(settled)
    assert metrics.value("payment_orders_created_total") == 5
    assert metrics.value("payment_orders", status="EXECUTED") == 5
    assert metrics.value("payment_orders", status="FAILED") == 0
    step = {"from_status": "EXECUTING", "to_status": "EXECUTED"}
    assert metrics.value("payment_order_transition_seconds_count", **step) == 5
    assert metrics.value("payment_order_transition_seconds_sum", **step) > 0
    # One call per batch: the five POSTs came one after another, the rest may share.
    calls = {"create_all": (5, 5), "move_all": (2, 10), "claim_payments": (1, 5)}
    calls |= {"settle": (1, 5), "mark_events_published": (1, 5)}
    for call, (fewest, most) in calls.items():  # each done before EXECUTED was read
        count = metrics.value("payment_store_call_seconds_count", call=call, outcome="ok")
        assert fewest <= count <= most, (call, count)
        assert metrics.value("payment_store_call_seconds_sum", call=call, outcome="ok") > 0
    assert metrics.value("payment_gateway_calls_total", outcome="paid") == 5
    assert metrics.value("payment_gateway_call_seconds_count", outcome="paid") == 5
    for route in ("create-payment-order", "advance-payment-order", EXECUTE):
        assert metrics.value("route_exchanges_completed_total", route=route) == 5
        assert metrics.value("route_exchanges_failed_total", route=route) == 0
        assert metrics.value("route_processing_seconds_count", route=route) == 5
        assert metrics.value("route_processing_seconds_sum", route=route) > 0
        assert metrics.value("route_started", route=route) == 1
    # Each POST's create was a group of one; the worker's groups held all five orders.
    created = {"route": "create-payment-order", "step": "batch createOrders"}
    assert metrics.value("route_batch_size_count", **created) == 5
    assert metrics.value("route_batch_size_sum", **created) == 5
    assert metrics.value("route_batch_size_bucket", **created, le="1") == 5
    ended = {"route": EXECUTE, "step": "batch completePayments"}
    assert metrics.value("route_batch_size_sum", **ended) == 5
    assert metrics.value("route_exchanges_in_flight", route=EXECUTE) == 0
    assert metrics.value("route_redeliveries_total", route=EXECUTE) == 0
    # Lag per partition of payment.execute, the one worker owning all six.
    lag = metrics.labelled("kafka_consumer_lag")
    assert sorted(int(labels["partition"]) for labels in lag) == list(range(6))
    assert {labels["topic"] for labels in lag} == {f"{tenant}.payment.execute"}
    assert {labels["group"] for labels in lag} == {f"{tenant}.payment-processor"}
    assert metrics.value("process_cpu_seconds_total") > 0


async def test_metrics_count_retries_and_dead_letters(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(
        bank=SimulatedBank(transient_failure_rate=1.0), gateway_max_redeliveries=2
    )
    _, created, _ = await post(client, service, VALID_ORDER)
    assert (await until_terminal(client, service, created["id"]))["status"] == "FAILED"

    async def dead_lettered() -> Scrape | None:
        metrics = await scrape(client, service)
        done = metrics.value("route_exchanges_dead_lettered_total", route=EXECUTE) == 1
        return metrics if done else None

    metrics: Scrape = await eventually(dead_lettered)
    assert metrics.value("route_redeliveries_total", route=EXECUTE) == 2
    assert metrics.value("payment_gateway_calls_total", outcome="transient") == 3
    assert metrics.value("payment_orders", status="FAILED") == 1
    step = {"from_status": "EXECUTING", "to_status": "FAILED"}
    assert metrics.value("payment_order_transition_seconds_count", **step) == 1


async def test_consumer_lag_shows_commands_waiting_for_a_slow_bank(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(bank=SimulatedBank(latency=0.3), processor_concurrency=1)
    for _ in range(6):
        await post(client, service, VALID_ORDER)

    async def total_lag() -> float:
        metrics = await scrape(client, service)
        return sum(
            metrics.value("kafka_consumer_lag", **labels)
            for labels in metrics.labelled("kafka_consumer_lag")
        )

    assert await eventually(total_lag, deadline=20)  # waiting commands show as lag

    async def caught_up() -> bool:
        return await total_lag() == 0

    assert await eventually(caught_up, deadline=30)


async def test_readiness_names_its_checks_and_liveness_answers(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    ingest = await start_service("ingest")
    process = await start_service("process")
    async with client.get(f"{ingest.http.url}/health/live") as response:
        assert (response.status, await response.json()) == (200, {"status": "UP"})

    async def ready(service: PaymentService) -> dict[str, object] | None:
        async with client.get(f"{service.http.url}/health/ready") as response:
            return dict(await response.json()) if response.status == 200 else None

    body = await eventually(lambda: ready(ingest))
    assert body["down"] == []
    assert body["checks"] == {"store": "UP", "kafka": "UP", "routes": "UP"}
    body = await eventually(lambda: ready(process))
    assert body["checks"]["kafka"] == "UP"
    assert body["checks"]["partitions"] == "UP: 0,1,2,3,4,5"


async def test_the_correlation_id_is_answered_kept_or_made(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(embedded=True)
    url = f"{service.http.url}/payment-orders"
    async with client.post(url, json=VALID_ORDER, headers={"X-Correlation-ID": "c-1"}) as r:
        assert (r.status, r.headers["X-Correlation-ID"]) == (201, "c-1")
    async with client.post(url, json={}, headers={"X-Correlation-ID": "c-2"}) as r:
        assert (r.status, r.headers["X-Correlation-ID"]) == (422, "c-2")  # problems too
    async with client.get(url + "/nope", headers={"X-Correlation-ID": "bad id\t"}) as r:
        assert r.status == 404
        made = r.headers["X-Correlation-ID"]
    async with client.get(url + "/nope") as r:
        assert r.headers["X-Correlation-ID"] not in ("", made)  # a new one per request
    assert len(made) == 32
