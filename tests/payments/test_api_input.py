"""Bad input of every kind gets a 4xx problem+json naming what is wrong, and stores nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from payments.service import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

GOOD = VALID_ORDER


@pytest.fixture
async def service(start_service: StartService) -> PaymentService:
    return await start_service("ingest")


async def stored_orders(client: aiohttp.ClientSession, service: PaymentService) -> int:
    async with client.get(f"{service.http.url}/payment-orders?limit=100") as response:
        return len((await response.json())["items"])


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({**GOOD, "amount": 0}, 422, ["amount"]),
        ({**GOOD, "amount": "-5"}, 422, ["amount"]),
        ({**GOOD, "amount": "10.001"}, 422, ["amount"]),
        ({**GOOD, "amount": "100.5", "currency": "JPY"}, 422, ["amount"]),
        ({**GOOD, "amount": "1.2345", "currency": "KWD"}, 422, ["amount"]),
        ({**GOOD, "amount": "ten"}, 422, ["amount"]),
        ({**GOOD, "amount": True}, 422, ["amount"]),
        ({**GOOD, "amount": "1e400"}, 422, ["amount"]),
        ({**GOOD, "currency": "EURO"}, 422, ["currency"]),
        ({**GOOD, "currency": "ZZZ"}, 422, ["currency"]),
        ({**GOOD, "currency": "XAU"}, 422, ["currency"]),
        ({**GOOD, "currency": 978}, 422, ["currency"]),
        ({**GOOD, "debtorAccount": ""}, 422, ["debtorAccount"]),
        ({**GOOD, "debtorAccount": 12}, 422, ["debtorAccount"]),
        ({**GOOD, "creditorAccount": GOOD["debtorAccount"]}, 422, ["creditorAccount"]),
        ({**GOOD, "debtorAccount": "DE89370400440532013001"}, 422, ["debtorAccount"]),
        ({k: v for k, v in GOOD.items() if k != "currency"}, 422, ["currency"]),
        ({**GOOD, "priority": "high"}, 422, ["priority"]),
        ({}, 422, ["debtorAccount", "creditorAccount", "amount", "currency"]),
        (["not", "an", "object"], 400, []),
    ],
)
async def test_invalid_orders_are_refused_naming_each_field(
    service: PaymentService,
    client: aiohttp.ClientSession,
    body: Any,
    status: int,
    fields: list[str],
) -> None:
    async with client.post(f"{service.http.url}/payment-orders", json=body) as response:
        problem = await response.json(content_type=None)
        assert response.status == status, problem
        assert response.content_type == "application/problem+json"
    assert problem["status"] == status
    assert problem["detail"]
    named = {error["field"] for error in problem.get("errors", [])}
    assert set(fields) <= named, problem
    assert await stored_orders(client, service) == 0


async def test_a_float_amount_in_json_is_read_as_the_exact_decimal_text(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    body = '{"debtorAccount": "A-1", "creditorAccount": "B-2", "amount": 0.10, "currency": "EUR"}'
    async with client.post(
        f"{service.http.url}/payment-orders",
        data=body,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 201
        assert (await response.json())["amount"] == "0.10"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b'{"debtorAccount": ', 400),
        (b"\xff\xfe", 400),
        (b'{"a": "' + b"x" * 20_000 + b'"}', 413),
    ],
)
async def test_malformed_or_oversized_bodies_are_refused(
    service: PaymentService, client: aiohttp.ClientSession, data: bytes, status: int
) -> None:
    async with client.post(
        f"{service.http.url}/payment-orders",
        data=data,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == status
        assert response.content_type == "application/problem+json"
    assert await stored_orders(client, service) == 0


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/payment-orders/no-such-order", 404),
        ("/payment-orders/no-such-order/history", 404),
        ("/payment-orders?status=PAID", 400),
        ("/payment-orders?limit=0", 400),
        ("/payment-orders?limit=1000", 400),
        ("/payment-orders?colour=red", 400),
        ("/nothing-here", 404),
    ],
)
async def test_bad_reads_are_problems(
    service: PaymentService, client: aiohttp.ClientSession, path: str, status: int
) -> None:
    async with client.get(f"{service.http.url}{path}") as response:
        assert response.status == status
        assert response.content_type == "application/problem+json"


async def test_listing_pages_newest_first_with_a_cursor(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    created = []
    for amount in ("1.00", "2.00", "3.00", "4.00", "5.00"):
        async with client.post(
            f"{service.http.url}/payment-orders", json={**GOOD, "amount": amount}
        ) as response:
            created.append((await response.json())["id"])
    seen: list[str] = []
    cursor = ""
    for _ in range(3):
        async with client.get(f"{service.http.url}/payment-orders?limit=2{cursor}") as response:
            page = await response.json()
        seen += [order["id"] for order in page["items"]]
        if page["next"] is None:
            break
        cursor = f"&after={page['next']}"
    assert seen == list(reversed(created))


async def test_the_openapi_document_describes_every_endpoint(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    async with client.get(f"{service.http.url}/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/payment-orders",
        "/payment-orders/{id}",
        "/payment-orders/{id}/history",
    }
    create = document["components"]["schemas"]["CreatePaymentOrder"]
    assert set(create["required"]) == {"debtorAccount", "creditorAccount", "amount", "currency"}
    assert create["additionalProperties"] is False


async def test_a_clients_bad_request_is_logged_at_info_not_as_a_warning(
    service: PaymentService, client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="routes.error_handling")
    async with client.post(f"{service.http.url}/payment-orders", json={}) as response:
        assert response.status == 422
    async with client.get(f"{service.http.url}/payment-orders/no-such-order") as response:
        assert response.status == 404

    failures = [r for r in caplog.records if r.name == "routes.error_handling"]
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in failures] == [
        ("INFO", "route create-payment-order"),
        ("INFO", "route get-payment-order"),
    ]
