"""Bad input of every kind gets a 4xx problem+json naming what is wrong, and stores nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService, stored_orders

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

GOOD = VALID_ORDER


@pytest.fixture
async def service(start_service: StartService) -> PaymentService:
    return await start_service("ingest")


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
        # Off the account grammar (1 to 34 ASCII letters and digits, single spaces between).
        ({**GOOD, "debtorAccount": "DE89370400440532013000\u202e"}, 422, ["debtorAccount"]),
        ({**GOOD, "debtorAccount": "DE89370400440532013000\u0000"}, 422, ["debtorAccount"]),
        (
            {**GOOD, "debtorAccount": "\uff24\uff2589370400440532013000"},  # fullwidth DE
            422,
            ["debtorAccount"],
        ),
        ({**GOOD, "creditorAccount": "GB82\u200bWEST12345698765432"}, 422, ["creditorAccount"]),
        ({**GOOD, "creditorAccount": "GB82\tWEST12345698765432"}, 422, ["creditorAccount"]),
        ({**GOOD, "creditorAccount": " GB82WEST12345698765432"}, 422, ["creditorAccount"]),
        ({**GOOD, "creditorAccount": "GB82  WEST12345698765432"}, 422, ["creditorAccount"]),
        ({**GOOD, "creditorAccount": "ACC-1"}, 422, ["creditorAccount"]),
        ({**GOOD, "creditorAccount": "A" * 35}, 422, ["creditorAccount"]),
        # One account in two spellings is one account.
        (
            {
                **GOOD,
                "debtorAccount": "DE89 3704 0044 0532 0130 00",
                "creditorAccount": "de89370400440532013000",
            },
            422,
            ["creditorAccount"],
        ),
        ({k: v for k, v in GOOD.items() if k != "currency"}, 422, ["currency"]),
        ({**GOOD, "priority": "high"}, 422, ["priority"]),
        ({**GOOD, "endToEndId": "E" * 36}, 422, ["endToEndId"]),
        ({**GOOD, "endToEndId": "  "}, 422, ["endToEndId"]),
        ({**GOOD, "endToEndId": "INV\u0000"}, 422, ["endToEndId"]),
        ({**GOOD, "endToEndId": 42}, 422, ["endToEndId"]),
        ({**GOOD, "remittanceInformation": "r" * 141}, 422, ["remittanceInformation"]),
        ({**GOOD, "remittanceInformation": "line\nbreak"}, 422, ["remittanceInformation"]),
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


@pytest.mark.parametrize(
    ("amount", "detail"),
    [
        ("-5", "must be a positive decimal number in plain notation, e.g. 12.50"),
        ("1e3", "must be a positive decimal number in plain notation, e.g. 12.50"),
        (True, "must be a decimal number, not true or false"),
        (-5, "must be greater than zero"),
    ],
)
async def test_a_bad_amount_is_named_with_what_is_wrong_with_it(
    service: PaymentService, client: aiohttp.ClientSession, amount: Any, detail: str
) -> None:
    order = {**GOOD, "amount": amount}
    async with client.post(f"{service.http.url}/payment-orders", json=order) as response:
        assert response.status == 422
        problem = await response.json(content_type=None)
    assert problem["errors"] == [{"field": "amount", "pointer": "#/amount", "detail": detail}]


async def test_a_float_amount_in_json_is_read_as_the_exact_decimal_text(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    body = '{"debtorAccount": "A1", "creditorAccount": "B2", "amount": 0.10, "currency": "EUR"}'
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
    ("account", "named"),
    [
        ("DE89370400440532013000\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("DE89370400440532013000\u0000", "U+0000 (a control character)"),
        ("\uff24\uff25" + "89370400440532013000", "U+FF24 (FULLWIDTH LATIN CAPITAL LETTER D)"),
    ],
)
async def test_a_refused_account_is_named_with_the_grammar_and_the_character(
    service: PaymentService, client: aiohttp.ClientSession, account: str, named: str
) -> None:
    """The answer says what is allowed and, by code point, what is not: the character
    itself may be invisible, or reorder the text it is shown in."""
    async with client.post(
        f"{service.http.url}/payment-orders", json={**GOOD, "debtorAccount": account}
    ) as response:
        assert response.status == 422
        problem = await response.json(content_type=None)
    [error] = problem["errors"]
    assert (error["field"], error["pointer"]) == ("debtorAccount", "#/debtorAccount")
    assert "1 to 34 ASCII letters and digits" in error["detail"]
    assert f"{named} is not allowed" in error["detail"]
    assert all(char.isascii() and char.isprintable() for char in problem["detail"] + str(error))
    assert await stored_orders(client, service) == 0


async def test_an_iban_in_print_form_is_stored_listed_and_shown_in_electronic_form(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    body = {
        **GOOD,
        "debtorAccount": "DE89 3704 0044 0532 0130 00",
        "creditorAccount": "gb82 west 1234 5698 7654 32",
    }
    async with client.post(f"{service.http.url}/payment-orders", json=body) as response:
        assert response.status == 201
        created = await response.json()
    async with client.get(f"{service.http.url}/payment-orders/{created['id']}") as response:
        shown = await response.json()
    async with client.get(f"{service.http.url}/payment-orders") as response:
        [listed] = (await response.json())["items"]
    stored = await service.store.get(created["id"])

    assert stored is not None
    for order in (created, shown, listed, stored.model_dump(by_alias=True)):
        assert (order["debtorAccount"], order["creditorAccount"]) == (
            GOOD["debtorAccount"],
            GOOD["creditorAccount"],
        )


async def test_the_same_request_in_print_and_electronic_form_is_one_idempotent_request(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    key = {"Idempotency-Key": "print-and-electronic"}
    printed = {**GOOD, "debtorAccount": "DE89 3704 0044 0532 0130 00"}
    async with client.post(
        f"{service.http.url}/payment-orders", json=printed, headers=key
    ) as response:
        assert response.status == 201
        first = await response.json()
    async with client.post(
        f"{service.http.url}/payment-orders", json=GOOD, headers=key
    ) as response:
        assert response.status == 200
        again = await response.json()

    assert again["id"] == first["id"]
    assert await stored_orders(client, service) == 1


async def test_a_body_naming_amount_twice_is_a_400_naming_it_and_stores_nothing(
    service: PaymentService, client: aiohttp.ClientSession
) -> None:
    """A gateway in front that reads the first amount would see another payment than the
    one booked with the last."""
    data = (
        b'{"amount": "1.00", "amount": "1000.00", "debtorAccount": "DE89370400440532013000", '
        b'"creditorAccount": "GB82WEST12345698765432", "currency": "EUR"}'
    )
    async with client.post(
        f"{service.http.url}/payment-orders",
        data=data,
        headers={"Content-Type": "application/json"},
    ) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = await response.json(content_type=None)
    assert 'member "amount" appears more than once' in problem["detail"]
    assert [error["field"] for error in problem["errors"]] == ["amount"]
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
        "/payment-orders/{id}/cancel",
        "/payment-files",
        "/payment-files/{id}",
        "/payment-files/{id}/status-report",
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
    same = {**GOOD, "creditorAccount": GOOD["debtorAccount"]}  # refused by a rule, 422
    async with client.post(f"{service.http.url}/payment-orders", json=same) as response:
        assert response.status == 422
    async with client.get(f"{service.http.url}/payment-orders/no-such-order") as response:
        assert response.status == 404
    async with client.post(f"{service.http.url}/payment-orders/no-such-order/cancel") as response:
        assert response.status == 404

    failures = [r for r in caplog.records if r.name == "routes.error_handling"]
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in failures] == [
        ("INFO", "route create-payment-order"),
        ("INFO", "route create-payment-order"),
        ("INFO", "route get-payment-order"),
        ("INFO", "route cancel-payment-order"),
    ]
