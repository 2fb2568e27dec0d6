"""Who may call the API, on the real servers: keys, isolation between clients, rate
limits, the operators' console and metrics, and a key made by ``create-client``."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import app
from payments.api.clients import digest
from payments.service.build import PaymentService
from tests.payments.conftest import (
    KEY_A,
    KEY_B,
    KEY_OPS,
    KEY_SLOW,
    VALID_ORDER,
    StartService,
    basic,
    bearer,
)

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


@pytest.fixture
async def service(start_service: StartService, clients_file: Path) -> PaymentService:
    return await start_service("all", api_clients_file=clients_file)


async def answer(response: aiohttp.ClientResponse, status: int) -> Any:
    assert response.status == status, await response.text()
    if status >= 400:
        assert response.content_type == "application/problem+json"
    return await response.json()


async def test_a_request_without_a_valid_key_is_refused_alike_and_stores_nothing(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = f"{service.http.url}/payment-orders"
    refusals = []
    for request_headers in [
        {},
        bearer("no-such-key"),
        {"Authorization": "Bearer"},
        {"Authorization": f"Token {KEY_A}"},
        {"X-API-Key": "no-such-key"},
        bearer(KEY_OPS),  # an operator is no client
    ]:
        for method, path in [("POST", ""), ("GET", ""), ("GET", "/some-id"), ("GET", "/x/history")]:
            async with client.request(
                method, url + path, json=VALID_ORDER, headers=request_headers
            ) as response:
                document = await answer(response, 401)
                assert response.headers["WWW-Authenticate"] == 'Bearer realm="payment-orders"'
            refusals.append({k: v for k, v in document.items() if k != "instance"})

    assert all(refusal == refusals[0] for refusal in refusals)  # never says if a key exists
    assert "key" in refusals[0]["detail"]
    assert await service.store.list(None, 10, None) == []


async def test_a_client_sees_only_its_own_orders(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = f"{service.http.url}/payment-orders"
    async with client.post(url, json=VALID_ORDER, headers=bearer(KEY_A)) as response:
        order = await answer(response, 201)
    async with client.post(url, json=VALID_ORDER, headers={"X-API-Key": KEY_B}) as response:
        theirs = await answer(response, 201)
    assert "clientId" not in order

    for path in [order["id"], f"{order['id']}/history"]:
        async with client.get(f"{url}/{path}", headers=bearer(KEY_A)) as response:
            await answer(response, 200)
        async with client.get(f"{url}/{path}", headers=bearer(KEY_B)) as response:
            foreign = await answer(response, 404)
        unknown_path = path.replace(order["id"], "no-such-order")
        async with client.get(f"{url}/{unknown_path}", headers=bearer(KEY_B)) as response:
            unknown = await answer(response, 404)
        # Exactly the answer of an id that does not exist.
        assert foreign == {
            key: str(value).replace("no-such-order", order["id"]) for key, value in unknown.items()
        } | {"status": 404}
    async with client.get(url, headers=bearer(KEY_B)) as response:
        assert [item["id"] for item in (await answer(response, 200))["items"]] == [theirs["id"]]
    async with client.get(f"{url}?after={order['id']}", headers=bearer(KEY_B)) as response:
        assert (await answer(response, 200))["items"] == []
    async with client.get(f"{url}?status=PENDING", headers=bearer(KEY_A)) as response:
        assert all(item["id"] != theirs["id"] for item in (await answer(response, 200))["items"])


async def test_one_idempotency_key_of_two_clients_makes_two_orders(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = f"{service.http.url}/payment-orders"
    key = {"Idempotency-Key": "order-0001"}
    async with client.post(url, json=VALID_ORDER, headers=bearer(KEY_A) | key) as response:
        mine = await answer(response, 201)
    other_body = {**VALID_ORDER, "amount": "99.00"}
    async with client.post(url, json=other_body, headers=bearer(KEY_B) | key) as response:
        theirs = await answer(response, 201)
    async with client.post(url, json=VALID_ORDER, headers=bearer(KEY_A) | key) as response:
        replay = await answer(response, 200)
    async with client.post(url, json=other_body, headers=bearer(KEY_A) | key) as response:
        await answer(response, 422)  # A's key with B's body is a conflict for A

    assert mine["id"] != theirs["id"]
    assert replay["id"] == mine["id"]
    assert (mine["amount"], theirs["amount"]) == ("125.50", "99.00")


async def test_a_client_over_its_rate_is_answered_429_with_retry_after(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = f"{service.http.url}/payment-orders"
    statuses = []
    for _ in range(10):  # burst 3 at 0.5/s: the 4th request within a second is over
        async with client.get(url, headers=bearer(KEY_SLOW)) as response:
            statuses.append(response.status)
            if response.status == 429:
                document = await answer(response, 429)
                retry_after = response.headers["Retry-After"]
                break
    assert statuses[:3] == [200, 200, 200]
    assert statuses[-1] == 429
    assert re.fullmatch(r"[1-9][0-9]*", retry_after)
    assert 1 <= int(retry_after) <= 2
    assert "slow" in document["detail"]
    async with client.get(url, headers=bearer(KEY_A)) as response:  # others are not slowed
        await answer(response, 200)


async def test_health_and_the_api_document_stay_open_and_metrics_topics_and_console_need_operators(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = service.http.url
    for path in ["/health/live", "/health/ready", "/openapi.json"]:
        async with client.get(url + path) as response:
            assert response.status == 200, path
    guarded = [
        "/metrics",
        "/asyncapi.json",
        "/console",
        "/console/api/orders",
        "/console/api/counts",
    ]
    for path in guarded:
        for request_headers in [{}, bearer(KEY_A), basic(KEY_A)]:
            async with client.get(url + path, headers=request_headers) as response:
                await answer(response, 401)
                assert response.headers["WWW-Authenticate"].startswith('Basic realm="operators"')
        for request_headers in [bearer(KEY_OPS), basic(KEY_OPS), {"X-API-Key": KEY_OPS}]:
            async with client.get(url + path, headers=request_headers) as response:
                assert response.status == 200, path


async def test_operators_read_every_clients_orders_in_the_console(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    ids = []
    for key in (KEY_A, KEY_B):
        async with client.post(
            f"{service.http.url}/payment-orders", json=VALID_ORDER, headers=bearer(key)
        ) as response:
            ids.append((await answer(response, 201))["id"])
    api = f"{service.http.url}/console/api/orders"

    async with client.get(api, headers=basic(KEY_OPS)) as response:
        assert {item["id"] for item in (await answer(response, 200))["items"]} == set(ids)
    async with client.get(f"{api}/{ids[1]}/history", headers=basic(KEY_OPS)) as response:
        assert (await answer(response, 200))["id"] == ids[1]
    async with client.get(f"{api}/no-such-order", headers=basic(KEY_OPS)) as response:
        await answer(response, 404)
    async with client.get(f"{api}?limit=0", headers=basic(KEY_OPS)) as response:
        assert [e["field"] for e in (await answer(response, 400))["errors"]] == ["limit"]


async def test_clients_without_operators_close_the_console_and_leave_metrics_and_topics_open(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = tmp_path / "only-clients.yaml"
    path.write_text(f"clients:\n  - id: shop-a\n    keySha256: {digest(KEY_A)}\n")
    service = await start_service("all", api_clients_file=path)

    async with client.get(f"{service.http.url}/console/api/orders") as response:
        await answer(response, 401)
    for guarded in ["/metrics", "/asyncapi.json"]:
        async with client.get(f"{service.http.url}{guarded}") as response:
            assert response.status == 200, guarded


async def test_a_key_made_by_create_client_calls_the_api(
    start_service: StartService,
    client: aiohttp.ClientSession,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert app.main(["create-client", "shop-new"]) == 0
    printed = capsys.readouterr().out
    key_line, entry = printed.split("\n\n", 1)
    key = key_line.splitlines()[-1].strip()
    assert key not in entry
    path = tmp_path / "created.yaml"
    path.write_text("clients:\n" + "\n".join(entry.splitlines()[1:]) + "\n")
    service = await start_service("all", api_clients_file=path)

    url = f"{service.http.url}/payment-orders"
    async with client.post(url, json=VALID_ORDER, headers=bearer(key)) as response:
        order = await answer(response, 201)
    stored = await service.store.get(order["id"])
    assert stored is not None
    assert stored.client_id == "shop-new"
    async with client.post(url, json=VALID_ORDER, headers=bearer(key[:-1])) as response:
        await answer(response, 401)


async def test_an_oversized_header_or_body_of_a_client_is_refused(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = f"{service.http.url}/payment-orders"
    async with client.get(url, headers=bearer(KEY_A) | {"X-Big": "x" * 9000}) as response:
        assert response.status == 400  # aiohttp's own answer, past 8190 bytes
    big = {**VALID_ORDER, "note": "x" * 20_000}
    async with client.post(url, json=big, headers=bearer(KEY_A)) as response:
        document = await answer(response, 413)
    assert document["detail"] == "the request body exceeds 16384 bytes"


async def test_a_clients_file_read_again_serves_its_keys_from_the_next_request(
    start_service: StartService,
    client: aiohttp.ClientSession,
    clients_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Rotation without a restart: a new key serves, a removed one is refused, and a
    file that does not load, or would open the API, leaves the keys as they were."""
    service = await start_service("all", api_clients_file=clients_file)
    url = f"{service.http.url}/payment-orders"
    rotated = "key-of-shop-a-rotated"
    entry = f"clients:\n  - id: shop-a\n    keySha256: {digest(rotated)}\n"
    await asyncio.to_thread(clients_file.write_text, entry)

    assert service.reload_clients()
    async with client.post(url, json=VALID_ORDER, headers=bearer(rotated)) as response:
        order = await answer(response, 201)
    assert (await service.store.get(order["id"])) is not None
    for old_key in (KEY_A, KEY_B):
        async with client.get(url, headers=bearer(old_key)) as response:
            await answer(response, 401)

    for refused in ("clients: [{id: shop-a}]\n", "clients: []\n"):
        await asyncio.to_thread(clients_file.write_text, refused)
        assert not service.reload_clients()
        async with client.get(url, headers=bearer(rotated)) as response:
            await answer(response, 200)
    assert [r.levelname for r in caplog.records if "not reloaded" in r.getMessage()] == [
        "ERROR",
        "ERROR",
    ]
