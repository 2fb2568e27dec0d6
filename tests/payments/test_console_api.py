"""The console's own endpoints: the page and its assets, counts by state, the route map
(Python and YAML routes alike) and the routes' live metrics; on the real servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from payments.domain.model import OrderStatus
from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService, routes_beside_the_flow
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

HEARTBEAT = Path(__file__).parent / "routes" / "heartbeat.yaml"
PAYMENT_ROUTES = {
    "create-payment-order",
    "get-payment-order",
    "get-payment-order-history",
    "cancel-payment-order",
    "publish-payment-cancelled",
    "list-payment-orders",
    "queue-payment-order",
    "advance-payment-order",
    "recover-payment-orders",
    "release-payment-orders",
    "summarise-payment-orders",
    "execute-payment-order",
    "fail-payment-order",
    "receive-payment-file",
    "split-payment-file",
    "resume-payment-files",
    "get-payment-file",
    "get-payment-file-status-report",
    "list-payment-files",
}


async def get_json(client: aiohttp.ClientSession, url: str) -> Any:
    async with client.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_the_page_and_its_assets_are_served_under_a_strict_policy(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service("ingest")
    for path, content_type in [
        ("/console", "text/html"),
        ("/console/console.js", "text/javascript"),
        ("/console/diagram.js", "text/javascript"),
        ("/console/console.css", "text/css"),
    ]:
        async with client.get(service.http.url + path) as response:
            assert response.status == 200
            assert response.content_type == content_type
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with client.get(f"{service.http.url}/console/other.js") as response:
        assert response.status == 404


async def test_a_processor_serves_no_console(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service("process")
    async with client.get(f"{service.http.url}/console") as response:
        assert response.status == 404


async def test_counts_name_every_state(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service("all")
    for _ in range(2):
        async with client.post(f"{service.http.url}/payment-orders", json=VALID_ORDER) as answer:
            assert answer.status == 201

    async def executed() -> Any:
        data = await get_json(client, f"{service.http.url}/console/api/counts")
        return data if data["counts"]["EXECUTED"] == 2 else None

    data = await eventually(executed)
    assert data == {
        "counts": {state.value: 2 if state is OrderStatus.EXECUTED else 0 for state in OrderStatus},
        "total": 2,
    }
    page = await get_json(client, f"{service.http.url}/console/api/orders?status=EXECUTED")
    assert len(page["items"]) == 2  # an open API: the console needs no operator


async def test_the_route_map_draws_the_flow_and_routes_beside_it_with_live_metrics(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    routes = routes_beside_the_flow(tmp_path / "routes", HEARTBEAT)
    service: PaymentService = await start_service("all", routes_dir=routes)
    url = f"{service.http.url}/console/api"
    route_map = await get_json(client, f"{url}/routes")
    sources = {graph["route_id"]: graph["source"] for graph in route_map["routes"]}
    assert set(sources) == {*PAYMENT_ROUTES, "yaml-heartbeat"}
    assert sources["yaml-heartbeat"].endswith("heartbeat.yaml")
    links = {(link["source"], link["target"]) for link in route_map["links"]}
    assert {
        ("create-payment-order", "queue-payment-order"),
        ("queue-payment-order", "advance-payment-order"),
        ("advance-payment-order", "execute-payment-order"),
        ("execute-payment-order", "fail-payment-order"),  # the dead letters' way
        ("recover-payment-orders", "advance-payment-order"),  # the sweep's sends
        ("release-payment-orders", "advance-payment-order"),  # the scheduled orders' day
        ("receive-payment-file", "split-payment-file"),  # a file, once received
        ("split-payment-file", "queue-payment-order"),  # each transfer of a file
        ("resume-payment-files", "split-payment-file"),  # a split a crash cut short
    } <= links
    graphs = {graph["route_id"]: graph for graph in route_map["routes"]}
    assert graphs["execute-payment-order"]["dead_letter_uri"] == "direct:fail-payment-order"
    failure_sends = sends(graphs["fail-payment-order"]["steps"])
    assert failure_sends[0].endswith("payment.execute.DLT")
    assert any(uri.endswith("payment.failed") for uri in failure_sends)
    # Each way of the execution is a branch of the diagram, on what was decided.
    execute = graphs["execute-payment-order"]["steps"]
    labels = [node["label"] for node in walk(execute)]
    assert "${exchangeProperty.paymentNext} == 'pay'" in labels
    assert [uri.rpartition(".")[2] for uri in sends(execute) if ".payment." in uri] == [
        "executed",
        "failed",
    ]

    async def ticking() -> Any:
        live = await get_json(client, f"{url}/routes/metrics")
        return live if live["metrics"]["yaml-heartbeat"]["completed"] >= 2 else None

    live = await eventually(ticking)
    assert set(live["status"].values()) == {"Started"}
    assert set(live["metrics"]) == set(sources)


def walk(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every node of a route graph's steps, nested ones after their parent."""
    return [node for step in steps for node in (step, *walk(step["steps"]))]


def sends(steps: list[dict[str, Any]]) -> list[str]:
    return [uri for node in walk(steps) for uri in node["uris"]]
