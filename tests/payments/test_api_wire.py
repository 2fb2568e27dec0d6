"""What travels on the wire, probed as a hostile client would against the running
service: a body is read only as UTF-8 JSON sent as JSON (else 415), a query parameter
is given once (else 400), and no answer names the software behind it or lets a
browser sniff it into something else."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService, stored_orders

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

ORDER = json.dumps(VALID_ORDER)
# "amount": "9.00" in UTF-7: bytes a proxy or an audit log reads as another amount.
UTF7_ORDER = ORDER.replace('"125.50"', '"+ADk-.00"').encode()


@pytest.fixture
async def service(start_service: StartService) -> PaymentService:
    return await start_service("ingest")


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("application/json; charset=utf-7", UTF7_ORDER),
        ("application/json; charset=cp037", ORDER.encode("cp037")),
        ("application/json; charset=utf-32", ORDER.encode("utf-32")),
        ("application/json; charset=latin-1", ORDER.encode("latin-1")),
        ("application/json; charset=no-such-charset", ORDER.encode()),
        ("text/plain", ORDER.encode()),
        ("application/x-www-form-urlencoded", ORDER.encode()),
        ("multipart/form-data; boundary=x", ORDER.encode()),
        ("application/xml", ORDER.encode()),
        ("text/json", ORDER.encode()),
        (None, ORDER.encode()),
    ],
)
async def test_a_body_not_sent_as_utf8_json_is_refused_with_415_and_stores_nothing(
    service: PaymentService,
    client: aiohttp.ClientSession,
    content_type: str | None,
    data: bytes,
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    async with client.post(
        f"{service.http.url}/payment-orders",
        data=data,
        headers=headers,
        skip_auto_headers=["Content-Type"],
    ) as response:
        assert response.status == 415
        assert response.content_type == "application/problem+json"
        problem = await response.json(content_type=None)
    sent = content_type or "no Content-Type"
    assert problem["detail"] == (
        f"the request body must be application/json (or application/*+json) in UTF-8, not {sent}"
    )
    assert [error["field"] for error in problem["errors"]] == ["Content-Type"]
    assert await stored_orders(client, service) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.payment-order+json",
    ],
)
async def test_utf8_json_under_a_json_media_type_is_taken(
    service: PaymentService, client: aiohttp.ClientSession, content_type: str
) -> None:
    async with client.post(
        f"{service.http.url}/payment-orders",
        data=ORDER.encode(),
        headers={"Content-Type": content_type},
    ) as response:
        assert response.status == 201
        assert (await response.json())["amount"] == "125.50"


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("/payment-orders?status=EXECUTED&status=FAILED", ["status"]),
        ("/payment-orders?limit=2&limit=100", ["limit"]),
        ("/payment-orders?limit=2&status=FAILED&limit=3&status=FAILED", ["limit", "status"]),
        ("/console/api/orders?limit=1&limit=2", ["limit"]),
    ],
)
async def test_a_query_parameter_given_twice_is_a_400_naming_it(
    service: PaymentService, client: aiohttp.ClientSession, query: str, named: list[str]
) -> None:
    async with client.get(f"{service.http.url}{query}") as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem: dict[str, Any] = await response.json(content_type=None)
    assert [error["field"] for error in problem["errors"]] == named
    assert problem["detail"] == (
        f"query parameters given more than once: {', '.join(named)}; give each once"
    )


async def test_no_answer_names_its_software_and_every_one_says_nosniff(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    url = service.http.url
    answers = []
    async with client.post(f"{url}/payment-orders", json=VALID_ORDER) as created:
        answers.append(created)
        order_id = (await created.json())["id"]
    for path in [
        f"/payment-orders/{order_id}",
        f"/payment-orders/{order_id}/history",
        "/payment-orders/no-such-order",
        "/payment-orders?limit=1&limit=2",
        "/openapi.json",
        "/health/ready",
        "/metrics",
        "/console",
        "/console/api/counts",
        f"/console/api/orders/{order_id}",
        "/console/api/routes",
        "/nothing-here",
    ]:
        async with client.get(f"{url}{path}") as answer:
            answers.append(answer)
    async with client.delete(f"{url}/payment-orders") as not_allowed:
        answers.append(not_allowed)
    async with client.post(f"{url}/payment-orders", data=b"x" * 20_000) as too_large:
        answers.append(too_large)

    assert {answer.status for answer in answers} >= {200, 201, 400, 404, 405, 413}
    for answer in answers:
        assert "Server" not in answer.headers, (answer.url, answer.headers["Server"])
        assert answer.headers["X-Content-Type-Options"] == "nosniff", answer.url
