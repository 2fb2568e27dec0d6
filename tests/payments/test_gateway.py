"""The simulated bank, its web service on 127.0.0.1 and the ``gateway:`` component, in
process and over real HTTP, up to a route that redelivers transient failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from config.settings import InvalidSettings
from endpoints import headers
from endpoints.base import ConsumerNotSupported, Producer
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.redelivery_policy import NonRetryable, RedeliveryPolicy
from infra.server import free_port
from payments.bank import SimulatedBank, create_bank_app, load_bank_settings
from payments.domain.failures import failure_reason
from payments.domain.messages import ExecutePaymentCommand
from payments.gateway import (
    GATEWAY_REFERENCE,
    GatewayComponent,
    GatewayTimeout,
    InvalidPaymentCommand,
    Payment,
    PaymentRejected,
    PaymentRequest,
    TransientGatewayError,
)
from payments.operations.reconciliation import bank_ledger
from routes.dsl import RouteBuilder
from routes.engine import Engine
from tests.payments.conftest import ServeApp

# Seeds whose first draws are known: with a transient rate of 0.5, seed 9 fails three
# times and then pays; with a permanent rate of 0.5, seed 13 rejects once, then pays.
THREE_TRANSIENT_THEN_PAID = 9
REJECTED_THEN_PAID = 13
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}

ServeBank = Callable[[SimulatedBank], Awaitable[str]]
PayThrough = Callable[[SimulatedBank], Awaitable[Producer]]


def command(order_id: str = "order-1", amount: str = "125.50") -> ExecutePaymentCommand:
    return ExecutePaymentCommand(
        order_id=order_id,
        debtor_account="DE89370400440532013000",
        creditor_account="FR1420041010050500013M02606",
        amount=Decimal(amount),
        currency="EUR",
    )


async def pay(bank: SimulatedBank, key: str = "order-1", amount: str = "125.50") -> Payment:
    return await bank.pay(key, request(command(key, amount)))


def request(paid: ExecutePaymentCommand) -> PaymentRequest:
    return PaymentRequest(
        debtor_account=paid.debtor_account,
        creditor_account=paid.creditor_account,
        amount=paid.amount,
        currency=paid.currency,
    )


@pytest.fixture
def serve_bank(serve_app: ServeApp) -> ServeBank:
    """Serve a bank on a free port of 127.0.0.1; the base URL is returned."""
    return lambda bank: serve_app(create_bank_app(bank))


# -- the bank ----------------------------------------------------------------------------
async def test_same_key_paid_twice_books_one_entry() -> None:
    bank = SimulatedBank()
    first = await pay(bank)
    again = await pay(bank)
    assert again == first
    assert bank.entries_for("order-1") == [first]
    assert first.amount == Decimal("125.50")
    assert first.idempotency_key == "order-1"


async def test_concurrent_pays_with_one_key_book_one_entry() -> None:
    bank = SimulatedBank(latency=0.01)
    paid = request(command())
    bookings = await asyncio.gather(*(bank.execute("order-1", paid) for _ in range(50)))
    assert len(bank.ledger()) == 1
    assert {booking.payment.reference for booking in bookings} == {bank.ledger()[0].reference}
    assert [booking.replayed for booking in bookings].count(False) == 1


async def test_seeded_transient_failures_then_success_book_nothing_until_paid() -> None:
    outcomes = []
    for _ in range(2):  # the same seed, the same outcomes
        bank = SimulatedBank(transient_failure_rate=0.5, seed=THREE_TRANSIENT_THEN_PAID)
        failures = 0
        while True:
            try:
                payment = await pay(bank)
                break
            except TransientGatewayError:
                failures += 1
                assert bank.ledger() == []
        outcomes.append(failures)
        assert bank.entries_for("order-1") == [payment]
    assert outcomes == [3, 3]


async def test_rejection_is_final_for_its_key() -> None:
    bank = SimulatedBank(permanent_failure_rate=0.5, seed=REJECTED_THEN_PAID)
    with pytest.raises(PaymentRejected) as first:
        await pay(bank, "order-1")
    assert isinstance(first.value, NonRetryable)
    for _ in range(5):
        with pytest.raises(PaymentRejected) as again:
            await pay(bank, "order-1")
        assert again.value.reason == first.value.reason
    assert bank.ledger() == []
    # Replaying a rejection draws nothing: the next key gets the seed's next draw.
    assert (await pay(bank, "order-2")).idempotency_key == "order-2"


async def test_a_key_reused_for_another_payment_is_rejected() -> None:
    bank = SimulatedBank()
    await pay(bank, amount="10.00")
    assert (await pay(bank, amount="10.0")).amount == Decimal("10.00")  # same amount
    with pytest.raises(PaymentRejected, match="another payment"):
        await pay(bank, amount="11.00")
    assert len(bank.ledger()) == 1


def test_failure_rates_must_be_probabilities() -> None:
    with pytest.raises(ValueError, match="failure rates"):
        SimulatedBank(transient_failure_rate=0.6, permanent_failure_rate=0.5)
    with pytest.raises(ValueError, match="latency"):
        SimulatedBank(latency=-1)


def test_settings_come_from_gateway_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TRANSIENT_FAILURE_RATE", "0.25")
    monkeypatch.setenv("GATEWAY_SEED", "7")
    monkeypatch.setenv("GATEWAY_URL", "http://127.0.0.1:9000")  # the services', no mistake
    bank = load_bank_settings().bank()
    assert (bank.transient_failure_rate, bank.permanent_failure_rate) == (0.25, 0.0)


def test_a_gateway_variable_no_setting_reads_is_refused_with_the_spelling_meant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_PERMANENT_FAILURE", "0.5")
    with pytest.raises(InvalidSettings) as invalid:
        load_bank_settings()
    assert str(invalid.value) == (
        "GATEWAY_PERMANENT_FAILURE: no setting of this service reads it "
        "(did you mean GATEWAY_PERMANENT_FAILURE_RATE?)"
    )


# -- the bank service over HTTP --------------------------------------------------------------
def payment_json(amount: str = "125.50") -> dict[str, str]:
    return {
        "debtorAccount": "DE89370400440532013000",
        "creditorAccount": "FR1420041010050500013M02606",
        "amount": amount,
        "currency": "EUR",
    }


async def post_payment(
    client: aiohttp.ClientSession, url: str, key: str = "order-1"
) -> tuple[int, str, Any]:
    async with client.post(
        f"{url}/payments", json=payment_json(), headers={"Idempotency-Key": key}
    ) as response:
        return response.status, response.content_type, await response.json(content_type=None)


async def test_service_books_then_replays(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank())
    status, content_type, created = await post_payment(client, url)
    assert (status, content_type) == (201, "application/json")
    assert created["amount"] == "125.50"
    assert created["idempotencyKey"] == "order-1"
    status, _, replayed = await post_payment(client, url)
    assert (status, replayed) == (200, created)
    await post_payment(client, url, "order-2")
    async with client.get(f"{url}/ledger") as response:
        ledger = await response.json()
    assert ledger["count"] == 2
    assert [entry["idempotencyKey"] for entry in ledger["entries"]] == ["order-1", "order-2"]
    async with client.get(f"{url}/health") as response:
        assert response.status == 200


async def test_the_ledger_is_read_in_pages_by_offset(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank())
    for n in range(5):
        await post_payment(client, url, f"order-{n}")
    async with client.get(f"{url}/ledger", params={"offset": 3, "limit": 10}) as response:
        ledger = await response.json()
    assert ledger["count"] == 5
    assert [entry["idempotencyKey"] for entry in ledger["entries"]] == ["order-3", "order-4"]
    pages = [[b.key for b in page] async for page in bank_ledger(url, size=2)]
    assert pages == [["order-0", "order-1"], ["order-2", "order-3"], ["order-4"]]


async def test_a_bad_ledger_page_is_a_problem_naming_each_parameter(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank())
    query = {"offset": "-1", "limit": "²", "page": "2"}
    async with client.get(f"{url}/ledger", params=query) as response:
        assert (response.status, response.content_type) == (400, "application/problem+json")
        problem = await response.json(content_type=None)
    assert {error["field"]: error["detail"] for error in problem["errors"]} == {
        "offset": "must be a whole number, at least 0",
        "limit": "must be a whole number, at least 0",
        "page": "unknown query parameter",
    }


REQUESTS = "simulated_bank_payment_requests_total"


async def test_service_counts_its_payment_requests_by_outcome_for_prometheus(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank(permanent_failure_rate=1.0, seed=1))
    await post_payment(client, url, "refused")
    await post_payment(client, url, "refused")  # a rejection is final: rejected again
    booked = await serve_bank(SimulatedBank())
    for key in ("order-1", "order-1", "order-2"):
        await post_payment(client, booked, key)

    counts = {}
    for bank_url in (url, booked):
        async with client.get(f"{bank_url}/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            for family in text_string_to_metric_families(await response.text()):
                for sample in family.samples:
                    if sample.name in (REQUESTS, "simulated_bank_ledger_entries"):
                        counts[(bank_url, sample.name, sample.labels.get("outcome"))] = sample.value
    assert counts == {
        (url, REQUESTS, "rejected"): 2,
        (url, "simulated_bank_ledger_entries", None): 0,
        (booked, REQUESTS, "booked"): 2,
        (booked, REQUESTS, "replayed"): 1,
        (booked, "simulated_bank_ledger_entries", None): 2,
    }


async def test_service_answers_503_problem_when_unavailable(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank(transient_failure_rate=1.0))
    status, content_type, problem = await post_payment(client, url)
    assert (status, content_type) == (503, "application/problem+json")
    assert problem.keys() >= PROBLEM_KEYS
    async with client.get(f"{url}/ledger") as response:
        assert (await response.json())["count"] == 0


async def test_service_answers_422_with_the_reason_of_a_rejection(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    bank = SimulatedBank(permanent_failure_rate=1.0, seed=1)
    url = await serve_bank(bank)
    status, content_type, problem = await post_payment(client, url)
    assert (status, content_type) == (422, "application/problem+json")
    assert problem["title"] == "Payment rejected"
    assert problem["detail"] in ("insufficient funds", "account blocked", "unknown creditor")
    assert (await post_payment(client, url))[2]["detail"] == problem["detail"]


@pytest.mark.parametrize(
    ("sent", "data"),
    [
        ({"Content-Type": "text/plain"}, json.dumps(payment_json()).encode()),
        (
            {"Content-Type": "application/json; charset=utf-7"},
            json.dumps(payment_json()).replace("125.50", "+ADk-.00").encode(),
        ),
    ],
)
async def test_service_reads_only_utf8_json(
    serve_bank: ServeBank, client: aiohttp.ClientSession, sent: dict[str, str], data: bytes
) -> None:
    bank = SimulatedBank()
    url = await serve_bank(bank)
    async with client.post(
        f"{url}/payments", data=data, headers={**sent, "Idempotency-Key": "k"}
    ) as response:
        assert (response.status, response.content_type) == (415, "application/problem+json")
    assert bank.ledger() == []


async def test_service_answers_name_no_software_and_say_nosniff(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank())
    answers = []
    async with client.post(
        f"{url}/payments", json=payment_json(), headers={"Idempotency-Key": "k"}
    ) as booked:
        answers.append(booked)
    for path in ("/ledger", "/ledger?limit=1&limit=2", "/health", "/metrics", "/nothing"):
        async with client.get(f"{url}{path}") as answer:
            answers.append(answer)
    assert [answer.status for answer in answers] == [201, 200, 400, 200, 200, 404]
    for answer in answers:
        assert "Server" not in answer.headers
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


async def test_service_needs_an_idempotency_key(
    serve_bank: ServeBank, client: aiohttp.ClientSession
) -> None:
    url = await serve_bank(SimulatedBank())
    async with client.post(f"{url}/payments", json=payment_json()) as response:
        assert response.status == 400
        assert "Idempotency-Key" in (await response.json(content_type=None))["detail"]


# -- the gateway: component, in process and remote -----------------------------------------
@pytest.fixture(params=["in-process", "remote"])
async def pay_through(
    request: pytest.FixtureRequest, serve_bank: ServeBank
) -> AsyncIterator[PayThrough]:
    """A started gateway producer paying the given bank in the mode under test."""
    components: list[GatewayComponent] = []

    async def producer_for(bank: SimulatedBank) -> Producer:
        component = GatewayComponent({"simulated": bank})
        components.append(component)
        if request.param == "remote":
            uri = f"gateway:bank?url={await serve_bank(bank)}&timeout=5"
        else:
            uri = "gateway:simulated"
        endpoint = component.create_endpoint(uri)
        await component.start()
        await endpoint.start()
        producer = endpoint.create_producer()
        await producer.start()
        return producer

    yield producer_for
    for component in components:
        await component.stop()


@pytest.mark.parametrize("body", [command(), command().model_dump(by_alias=True, mode="json")])
async def test_producer_replaces_the_command_with_the_payment(
    pay_through: PayThrough, body: Any
) -> None:
    bank = SimulatedBank()
    producer = await pay_through(bank)
    exchange = Exchange.of(body)
    await producer.process(exchange)
    assert isinstance(exchange.body, Payment)
    assert exchange.body.amount == Decimal("125.50")
    assert exchange.headers[GATEWAY_REFERENCE] == exchange.body.reference
    replay = Exchange.of(body)
    await producer.process(replay)
    assert replay.body == exchange.body
    assert bank.entries_for("order-1") == [exchange.body]


async def test_the_bank_gets_the_clients_reference_and_remittance_unchanged(
    pay_through: PayThrough,
) -> None:
    bank = SimulatedBank()
    producer = await pay_through(bank)
    referenced = command().model_copy(
        update={"end_to_end_id": "INV-2026/0042", "remittance_information": "Invoice 42, ünd"}
    )
    await producer.process(Exchange.of(referenced))
    [booked] = bank.entries_for("order-1")
    assert (booked.end_to_end_id, booked.remittance_information) == (
        "INV-2026/0042",
        "Invoice 42, ünd",
    )


async def test_producer_raises_transient_failures(pay_through: PayThrough) -> None:
    bank = SimulatedBank(transient_failure_rate=1.0)
    producer = await pay_through(bank)
    exchange = Exchange.of(command())
    with pytest.raises(TransientGatewayError):
        await producer.process(exchange)
    assert exchange.body == command()
    assert bank.ledger() == []


async def test_producer_raises_rejections(pay_through: PayThrough) -> None:
    producer = await pay_through(SimulatedBank(permanent_failure_rate=1.0))
    with pytest.raises(PaymentRejected) as rejected:
        await producer.process(Exchange.of(command()))
    assert rejected.value.idempotency_key == "order-1"
    assert rejected.value.reason in ("insufficient funds", "account blocked", "unknown creditor")


async def test_producer_refuses_a_body_that_is_no_command(pay_through: PayThrough) -> None:
    producer = await pay_through(SimulatedBank())
    with pytest.raises(InvalidPaymentCommand) as invalid:
        await producer.process(Exchange.of({"orderId": "order-1"}))
    assert isinstance(invalid.value, NonRetryable)


async def failure_paying_through(uri: str) -> Exception:
    """What paying ``command()`` through the gateway endpoint ``uri`` raises."""
    component = GatewayComponent()
    endpoint = component.create_endpoint(uri)
    try:
        await endpoint.create_producer().process(Exchange.of(command()))
    except Exception as error:  # the test's to judge
        return error
    finally:
        await component.stop()
    raise AssertionError(f"{uri} paid")


async def test_remote_bank_not_listening_is_transient() -> None:
    port = free_port()
    unavailable = await failure_paying_through(f"gateway:bank?url=http://ann:pw@127.0.0.1:{port}")
    assert isinstance(unavailable, TransientGatewayError)
    # Operators read where; clients read what it means for the payment.
    assert str(unavailable).startswith(f"http://***@127.0.0.1:{port}/payments: ")
    assert unavailable.in_payment_terms(1) == "bank unavailable after 1 attempt"


@pytest.mark.parametrize(
    ("problem", "reason"),
    [
        ({"detail": "account blocked"}, "rejected by the bank: account blocked"),
        ({"detail": "limit\r\nexceeded\x1b[31m"}, "rejected by the bank: limit exceeded [31m"),
        ({"detail": "x" * 500}, "rejected by the bank: " + "x" * 199 + "…"),
        ({"title": "Forbidden"}, "rejected by the bank (no reason given)"),
        ("<html>denied</html>", "rejected by the bank (no reason given)"),
    ],
)
async def test_a_rejection_reads_as_the_banks_own_reason_on_one_short_line(
    problem: Any, reason: str
) -> None:
    async def refuse(_: web.Request) -> web.Response:
        if isinstance(problem, str):
            return web.Response(status=403, text=problem, content_type="text/html")
        return web.json_response(problem, status=403)

    app = web.Application()
    app.router.add_post("/payments", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        rejected = await failure_paying_through(f"gateway:bank?url=http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()
    assert isinstance(rejected, PaymentRejected)
    assert rejected.in_payment_terms(1) == reason


def test_a_failure_no_gateway_error_explains_reads_as_unexplained() -> None:
    assert failure_reason(KeyError("payment.order"), 2) == "payment could not be executed"
    assert failure_reason(None, 1) == "payment could not be executed"
    invalid = InvalidPaymentCommand("the body is no execute-payment command: ...")
    assert failure_reason(invalid, 1) == "the payment instruction could not be read"


async def test_remote_bank_too_slow_is_a_timeout(serve_bank: ServeBank) -> None:
    url = await serve_bank(SimulatedBank(latency=0.5))
    timed_out = await failure_paying_through(f"gateway:bank?url={url}&timeout=0.1")
    assert isinstance(timed_out, GatewayTimeout)
    assert str(timed_out).endswith("no answer within 0.1s")
    assert timed_out.in_payment_terms(3) == "bank did not answer within 0.1 s (3 attempts)"


async def test_in_process_timeout_is_transient_and_the_bank_still_books() -> None:
    bank = SimulatedBank(latency=0.3)
    producer = GatewayComponent({"slow": bank}).create_endpoint("gateway:slow?timeout=0.05")
    with pytest.raises(GatewayTimeout, match=r"0\.05s") as timed_out:
        await producer.create_producer().process(Exchange.of(command()))
    assert isinstance(timed_out.value, TransientGatewayError)
    # The attempt the producer gave up on goes on: paying again joins it.
    async with asyncio.timeout(5):
        payment = await pay(bank)
    assert bank.ledger() == [payment]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("gateway:simulatd", "no bank named 'simulatd'"),
        ("gateway:?url=http://127.0.0.1:9000", "needs a name"),
        ("gateway:bank?url=ftp://127.0.0.1", "option 'url'"),
        ("gateway:simulated?timeout=0", "option 'timeout'"),
        ("gateway:simulated?retries=3", "unknown option 'retries'"),
    ],
)
def test_bad_uris_fail_at_start(uri: str, message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        GatewayComponent({"simulated": SimulatedBank()}).create_endpoint(uri)


async def test_a_gateway_cannot_be_consumed_from() -> None:
    endpoint = GatewayComponent({"simulated": SimulatedBank()}).create_endpoint("gateway:simulated")

    async def handler(_: Exchange) -> None:
        return None

    with pytest.raises(ConsumerNotSupported):
        endpoint.create_consumer(handler)


# -- through the engine ------------------------------------------------------------------------
async def test_route_redelivers_transient_failures_and_pays_once() -> None:
    bank = SimulatedBank(transient_failure_rate=0.5, seed=THREE_TRANSIENT_THEN_PAID)
    engine = Engine()
    engine.add_component("gateway", GatewayComponent({"simulated": bank}))
    builder = RouteBuilder()
    (
        builder.from_("direct:pay")
        .route_id("pay")
        .on_exception(TransientGatewayError, redelivery=RedeliveryPolicy(5, redelivery_delay=0))
        .end()
        .to("gateway:simulated")
    )
    engine.add_routes(builder)
    await engine.start()
    try:
        exchange = await engine.send("direct:pay", command())
    finally:
        await engine.stop()
    assert exchange.exception is None
    assert exchange.headers[headers.REDELIVERY_COUNTER] == 3
    assert bank.entries_for("order-1") == [exchange.body]
    assert engine.metrics()["pay"]["redelivered"] == 3
