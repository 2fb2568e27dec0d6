"""The route files integrators copy from ``config/routes/examples/``, one per EIP: each
loads, validates against the JSON Schema editors use, and does what its header comment
says. Every case runs on an event loop of its own whose clock is fast-forwarded
(looptime), as in ``test_camel_docs``: a throttle's period, a delay, a redelivery's
back-off or a completion timeout takes no real time, and its bounds are exact.

The beans an example refers to by name are bound here (``engine.bind``), so that the
example files name no test code; each file's header says what its bean is expected to do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import looptime
import pytest
import yaml
from jsonschema import Draft202012Validator

from components.mock import MockEndpoint
from endpoints import headers
from endpoints.exchange import Exchange
from routes.engine import Engine
from routes.expressions import Ref
from routes.yaml import RouteConfigError, load_routes
from tests.engine.support import mock

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "config" / "routes" / "examples"
SCHEMA = ROOT / "schemas" / "routes" / "camel-yaml-dsl.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema="

# The environment variables the placeholder example could read ({{ledger.uri}} is
# LEDGER_URI): set, to show that ``environ={}`` keeps the machine's environment out.
PLACEHOLDER_VARIABLES = ("LEDGER_URI", "PAYMENT_CHANNEL")

Check = Callable[[Engine], Awaitable[None]]


@dataclass(frozen=True)
class Example:
    check: Check
    beans: Callable[[], dict[str, Any]] = dict  # made anew for each run
    properties: Mapping[str, str] = field(default_factory=dict)


CASES: dict[str, Example] = {}


def example(
    name: str,
    *,
    beans: Callable[[], dict[str, Any]] = dict,
    properties: Mapping[str, str] | None = None,
) -> Callable[[Check], Check]:
    """Register the check of ``config/routes/examples/<name>.yaml``."""

    def register(check: Check) -> Check:
        assert name not in CASES, f"two checks for {name}.yaml"
        CASES[name] = Example(check, beans, dict(properties or {}))
        return check

    return register


# -- helpers ---------------------------------------------------------------------------------
def headers_of(exchange: Exchange) -> dict[str, Any]:
    """The message's headers but the correlation id the engine gives every exchange."""
    return {k: v for k, v in exchange.headers.items() if k != headers.CORRELATION_ID}


def now() -> float:
    return asyncio.get_running_loop().time()


async def ok(
    engine: Engine, uri: str, body: Any, with_headers: Mapping[str, Any] | None = None
) -> Exchange:
    """Send, and check the exchange came back without a failure."""
    exchange = await engine.send(uri, body, with_headers)
    assert exchange.exception is None, repr(exchange.exception)
    return exchange


async def nothing_more(endpoint: MockEndpoint, within: float = 10.0) -> None:
    """No other exchange reaches ``endpoint`` within ``within`` seconds (loop time)."""
    count = len(endpoint.received)
    with pytest.raises(TimeoutError):
        await endpoint.expect(count + 1, within=within)


def payment(pid: str, amount: str, currency: str = "EUR", **more: Any) -> dict[str, Any]:
    return {"id": pid, "amount": Decimal(amount), "currency": currency, **more}


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# -- sending and routing ---------------------------------------------------------------------
@example("to")
async def check_to(engine: Engine) -> None:
    sent = payment("P-1", "120.00")
    reply = await ok(engine, "direct:book-payment", sent, {"paymentId": "P-1"})
    for uri in ("mock:ledger", "mock:confirmations"):
        received = mock(engine, uri).received
        assert [e.body for e in received] == [sent]
        assert headers_of(received[0]) == {"paymentId": "P-1"}
    assert reply.body == sent


@example("toD")
async def check_to_d(engine: Engine) -> None:
    deut, bnpa = payment("P-1", "10.00"), payment("P-2", "20.00")
    await ok(engine, "direct:payout", deut, {"bankCode": "DEUT"})
    await ok(engine, "direct:payout", bnpa, {"bankCode": "BNPA"})
    await ok(engine, "direct:payout", deut, {"bankCode": "DEUT"})
    assert mock(engine, "mock:bank-DEUT").bodies == [deut, deut]
    assert mock(engine, "mock:bank-BNPA").bodies == [bnpa]


@example("log")
async def check_log(engine: Engine) -> None:
    audit = logging.getLogger("payments.audit")
    records, level = LogRecords(), audit.level
    audit.addHandler(records)
    audit.setLevel(logging.INFO)
    try:
        sent = payment("P-7", "250.00")
        await ok(engine, "direct:incoming-payment", sent, {"paymentId": "P-7"})
    finally:
        audit.removeHandler(records)
        audit.setLevel(level)
    assert [(r.name, r.levelname, r.getMessage()) for r in records.records] == [
        ("payments.audit", "INFO", "payment P-7: 250.00 EUR")
    ]
    assert mock(engine, "mock:booked").bodies == [sent]


@example("setHeader")
async def check_set_header(engine: Engine) -> None:
    sent = payment("P-1", "10.00", "CHF")
    await ok(engine, "direct:tag-payment", sent, {"paymentId": "P-1"})
    (tagged,) = mock(engine, "mock:tagged").received
    assert headers_of(tagged) == {"paymentId": "P-1", "currency": "CHF", "channel": "api"}
    assert tagged.body == sent


@example("setHeaders")
async def check_set_headers(engine: Engine) -> None:
    await ok(engine, "direct:stamp-payment", payment("P-3", "5.00", "USD"))
    (stamped,) = mock(engine, "mock:stamped").received
    assert headers_of(stamped) == {
        "paymentId": "P-3",
        "currency": "USD",
        "routingKey": "payments.USD",
    }


@example("setProperty")
async def check_set_property(engine: Engine) -> None:
    reply = await ok(engine, "direct:fx-quote", payment("P-1", "99.50", "GBP"))
    (quote,) = mock(engine, "mock:quotes").received
    assert quote.body == "quote for 99.50 GBP"
    assert quote.properties == {"originalAmount": Decimal("99.50")}
    assert headers_of(quote) == {}  # a property is no header
    assert reply.properties == {"originalAmount": Decimal("99.50")}


@example("setBody")
async def check_set_body(engine: Engine) -> None:
    sent = payment("P-1", "1500.00", iban="DE89370400440532013000")
    await ok(engine, "direct:bank-instruction", sent)
    assert mock(engine, "mock:bank-file").bodies == ["PAY 1500.00 EUR TO DE89370400440532013000"]


@example("transform")
async def check_transform(engine: Engine) -> None:
    sent = payment("P-9", "42.00")
    reply = await ok(engine, "direct:acknowledge", sent, {"paymentId": "P-9"})
    assert reply.body == "ACK P-9"
    assert mock(engine, "mock:received").bodies == [sent]


@example("removeHeader")
async def check_remove_header(engine: Engine) -> None:
    await ok(
        engine,
        "direct:fraud-scoring",
        payment("P-1", "10.00"),
        {"paymentId": "P-1", "cardNumber": "4111111111111111"},
    )
    await ok(engine, "direct:fraud-scoring", payment("P-2", "10.00"), {"paymentId": "P-2"})
    assert [headers_of(e) for e in mock(engine, "mock:fraud-scoring").received] == [
        {"paymentId": "P-1"},
        {"paymentId": "P-2"},
    ]


@example("removeHeaders")
async def check_remove_headers(engine: Engine) -> None:
    sent_headers = {
        "paymentId": "P-1",
        "internal-retry": 2,
        "Internal-Shard": "7",  # a header name matches whatever its case
        "internal-trace-id": "t-1",
    }
    await ok(engine, "direct:to-scheme", payment("P-1", "10.00"), sent_headers)
    (sent,) = mock(engine, "mock:scheme").received
    assert headers_of(sent) == {"paymentId": "P-1", "internal-trace-id": "t-1"}


@example("removeProperty")
async def check_remove_property(engine: Engine) -> None:
    risky, fine = payment("P-1", "900.00"), payment("P-2", "15.00")
    await ok(engine, "direct:score", risky, {"score": 95})
    await ok(engine, "direct:score", fine, {"score": 10})
    (review,) = mock(engine, "mock:manual-review").received
    assert review.body == risky
    assert review.properties == {"fraudScore": 95, "CamelFilterMatched": True}
    scored = mock(engine, "mock:scored").received
    assert [e.body for e in scored] == [risky, fine]
    assert [e.properties for e in scored] == [
        {"CamelFilterMatched": True},
        {"CamelFilterMatched": False},
    ]


@example("convertBodyTo")
async def check_convert_body_to(engine: Engine) -> None:
    await ok(engine, "direct:statement-line", b"2025-01-31;EUR;1500.00")
    await ok(engine, "direct:statement-line", "Caf\u00e9 Central;EUR;4.20".encode())
    bodies = mock(engine, "mock:statement-lines").bodies
    assert bodies == ["2025-01-31;EUR;1500.00", "Caf\u00e9 Central;EUR;4.20"]
    assert all(type(body) is str for body in bodies)


@example("marshal")
async def check_marshal(engine: Engine) -> None:
    await ok(engine, "direct:publish-settlement", payment("P-1", "12.50", status="SETTLED"))
    (text,) = mock(engine, "mock:settlements-out").bodies
    # A Decimal amount is written as a JSON string, never as a float.
    assert text == '{"id":"P-1","amount":"12.50","currency":"EUR","status":"SETTLED"}'


@example("unmarshal")
async def check_unmarshal(engine: Engine) -> None:
    await ok(engine, "direct:status-update", '{"paymentId":"P-1","status":"SETTLED","fee":0.35}')
    (update,) = mock(engine, "mock:status-updates").received
    # A JSON number with a fraction is read as a Decimal, never as a float.
    assert update.body == {"paymentId": "P-1", "status": "SETTLED", "fee": Decimal("0.35")}
    assert headers_of(update) == {"status": "SETTLED"}


@example("filter")
async def check_filter(engine: Engine) -> None:
    small, large = payment("P-1", "500.00"), payment("P-2", "25000.00")
    await ok(engine, "direct:large-payment-check", small)
    await ok(engine, "direct:large-payment-check", large)
    assert mock(engine, "mock:manual-review").bodies == [large]
    assert mock(engine, "mock:booked").bodies == [small, large]


@example("choice")
async def check_choice(engine: Engine) -> None:
    eur, usd, gbp = (
        payment("P-1", "1.00"),
        payment("P-2", "2.00", "USD"),
        payment("P-3", "3.00", "GBP"),
    )
    for sent in (eur, usd, gbp):
        await ok(engine, "direct:route-by-currency", sent)
    assert mock(engine, "mock:sepa").bodies == [eur]
    assert mock(engine, "mock:swift").bodies == [usd]
    assert mock(engine, "mock:manual").bodies == [gbp]


@example("split")
async def check_split(engine: Engine) -> None:
    batch = [payment("P-1", "1.00"), payment("P-2", "2.00"), payment("P-3", "3.00")]
    reply = await ok(engine, "direct:payment-batch", batch, {"batchId": "B-1"})
    parts = mock(engine, "mock:payment").received
    assert [e.body for e in parts] == batch
    assert [headers_of(e) for e in parts] == [
        {"batchId": "B-1", "paymentId": f"P-{n}"} for n in (1, 2, 3)
    ]
    assert [e.properties for e in parts] == [
        {"CamelSplitIndex": n, "CamelSplitSize": 3, "CamelSplitComplete": n == 2} for n in range(3)
    ]
    assert mock(engine, "mock:batch-done").bodies == [batch]
    assert reply.body == batch


@example("idempotentConsumer")
async def check_idempotent_consumer(engine: Engine) -> None:
    first, second = payment("P-1", "10.00"), payment("P-2", "20.00")
    await ok(engine, "direct:book-once", first, {"paymentId": "P-1"})
    await ok(engine, "direct:book-once", second, {"paymentId": "P-2"})
    retry = await ok(engine, "direct:book-once", first, {"paymentId": "P-1"})
    assert mock(engine, "mock:ledger").bodies == [first, second]
    assert retry.properties == {"CamelDuplicateMessage": True}


@example("wireTap")
async def check_wire_tap(engine: Engine) -> None:
    reply = await ok(engine, "direct:payment-event", "P-1 authorised")
    assert reply.body == "processed P-1 authorised"
    assert mock(engine, "mock:processed").bodies == ["processed P-1 authorised"]
    audit = mock(engine, "mock:audit")
    await audit.expect(1, within=5)
    assert audit.bodies == ["P-1 authorised"]  # the copy as it was when tapped
    await nothing_more(audit)


@example("multicast")
async def check_multicast(engine: Engine) -> None:
    sent = payment("P-1", "75.00", status="SETTLED")
    reply = await ok(engine, "direct:settled", sent, {"paymentId": "P-1"})
    for index, uri in enumerate(("mock:ledger", "mock:notifications", "mock:analytics")):
        (copy,) = mock(engine, uri).received
        assert copy.body == sent
        assert headers_of(copy) == {"paymentId": "P-1"}
        assert copy.properties == {"CamelMulticastIndex": index}
    assert reply.body == sent


@example("recipientList")
async def check_recipient_list(engine: Engine) -> None:
    both, sms_only = "P-1 settled", "P-2 settled"
    await ok(engine, "direct:notify-customer", both, {"notifyChannels": "mock:email,mock:sms"})
    await ok(engine, "direct:notify-customer", sms_only, {"notifyChannels": "mock:sms"})
    assert mock(engine, "mock:email").bodies == [both]
    assert mock(engine, "mock:sms").bodies == [both, sms_only]
    sms = mock(engine, "mock:sms").received
    assert [e.properties[headers.MULTICAST_INDEX] for e in sms] == [1, 0]  # its place in the list


def risk_score_merge(original: Exchange | None, resource: Exchange) -> Exchange:
    """The enrich example's strategy: the payment stays the body; the risk-score route's
    reply goes in the riskScore header."""
    assert original is not None  # enrich always has the exchange it enriches
    original.message.set_header("riskScore", resource.body)
    return original


@example("enrich", beans=lambda: {"riskScoreMerge": risk_score_merge})
async def check_enrich(engine: Engine) -> None:
    sent = payment("P-1", "300.00")
    reply = await ok(engine, "direct:score-payment", sent, {"payerCountry": "NL"})
    (scored,) = mock(engine, "mock:scored").received
    assert scored.body == sent
    assert headers_of(scored) == {"payerCountry": "NL", "riskScore": "NL low"}
    assert reply.body == sent


@example("aggregate")
async def check_aggregate(engine: Engine) -> None:
    started = now()
    p1, p2, p3 = payment("P-1", "1.00"), payment("P-2", "2.00"), payment("P-3", "3.00")
    p4 = payment("P-4", "4.00")
    for sent, merchant in ((p1, "M-1"), (p4, "M-2"), (p2, "M-1"), (p3, "M-1")):
        await ok(engine, "direct:merchant-payment", sent, {"merchantId": merchant})
    batches = mock(engine, "mock:settlement-batch")
    assert batches.bodies == [[p1, p2, p3]]  # M-1 complete by size, at once
    await batches.expect(2, within=10)  # M-2 complete by its timeout
    assert batches.bodies == [[p1, p2, p3], [p4]]
    assert [round(at - started, 3) for at in batches.arrived_at] == [0.0, 5.0]
    assert [e.properties for e in batches.received] == [
        {
            "CamelAggregatedSize": 3,
            "CamelAggregatedCompletedBy": "size",
            "CamelAggregatedCorrelationKey": "M-1",
        },
        {
            "CamelAggregatedSize": 1,
            "CamelAggregatedCompletedBy": "timeout",
            "CamelAggregatedCorrelationKey": "M-2",
        },
    ]
    await nothing_more(batches)


@example("doTry")
async def check_do_try(engine: Engine) -> None:
    good, bad = payment("P-1", "100.00"), payment("P-2", "0.00")
    await ok(engine, "direct:book-or-reject", good)
    await ok(engine, "direct:book-or-reject", bad)  # caught: the caller sees no failure
    assert mock(engine, "mock:booked").bodies == [good]
    (rejected,) = mock(engine, "mock:rejected").received
    assert rejected.body == bad
    caught = rejected.properties["CamelExceptionCaught"]
    assert type(caught) is ValueError
    assert str(caught) == "amount must be positive"
    assert mock(engine, "mock:audit").bodies == [good, bad]


@example("loop")
async def check_loop(engine: Engine) -> None:
    await ok(engine, "direct:instalments", "P-1", {"instalments": 3})
    rounds = mock(engine, "mock:instalment").received
    assert [e.body for e in rounds] == ["P-1 part 0", "P-1 part 1", "P-1 part 2"]
    assert [e.properties for e in rounds] == [
        {"CamelLoopIndex": n, "CamelLoopSize": 3} for n in range(3)
    ]


@example("throttle")
async def check_throttle(engine: Engine) -> None:
    started = now()
    sent = [f"payout {n}" for n in range(1, 6)]
    async with asyncio.TaskGroup() as group:
        for body in sent:
            group.create_task(ok(engine, "direct:throttled-payout", body))
    bank = mock(engine, "mock:bank-api")
    assert bank.bodies == sent
    # Three in the first second; the 4th and 5th wait for the next period.
    assert [round(at - started, 3) for at in bank.arrived_at] == [0.0, 0.0, 0.0, 1.0, 1.0]


@example("delay")
async def check_delay(engine: Engine) -> None:
    started = now()
    await ok(engine, "direct:refund", "refund R-1")
    released = mock(engine, "mock:refunds-released")
    assert released.bodies == ["refund R-1"]
    assert round(released.arrived_at[0] - started, 3) == 2.0
    assert round(now() - started, 3) == 2.0  # the caller waited as long


@example("stop")
async def check_stop(engine: Engine) -> None:
    test_payment, real = payment("T-1", "1.00"), payment("P-1", "10.00")
    await ok(engine, "direct:outgoing-payment", test_payment, {"test": True})
    await ok(engine, "direct:outgoing-payment", real, {"test": False})
    await ok(engine, "direct:outgoing-payment", real)
    assert mock(engine, "mock:test-payments").bodies == [test_payment]
    assert mock(engine, "mock:bank").bodies == [real, real]


@example("throwException")
async def check_throw_exception(engine: Engine) -> None:
    valid = payment("P-1", "10.00")
    await ok(engine, "direct:validate-amount", valid)
    failed = await engine.send("direct:validate-amount", payment("P-0", "0"))
    assert type(failed.exception) is ValueError
    assert str(failed.exception) == "invalid amount 0 for P-0"
    assert mock(engine, "mock:valid").bodies == [valid]


def fee_calculator(exchange: Exchange) -> None:
    """The process example's processor: a fee of 1% of the amount, in cents."""
    fee = Decimal(exchange.body["amount"]) / 100
    exchange.message.set_header("fee", fee.quantize(Decimal("0.01")))


@example("process", beans=lambda: {"feeCalculator": fee_calculator})
async def check_process(engine: Engine) -> None:
    sent = payment("P-1", "1250.00")
    await ok(engine, "direct:add-fee", sent)
    (with_fee,) = mock(engine, "mock:with-fee").received
    assert with_fee.body == sent
    assert headers_of(with_fee) == {"fee": Decimal("12.50")}


# -- error handling ---------------------------------------------------------------------------
class BankGateway:
    """The errorHandler example's gateway: fails each payment as often as ``failures``
    says (ConnectionError: the bank is down), and notes when each attempt came."""

    def __init__(self, failures: Mapping[str, int]) -> None:
        self.failures = dict(failures)
        self.attempts: dict[str, list[float]] = {}

    def __call__(self, exchange: Exchange) -> None:
        pid = exchange.body["id"]
        attempts = self.attempts.setdefault(pid, [])
        attempts.append(now())
        if len(attempts) <= self.failures.get(pid, 0):
            raise ConnectionError(f"bank unreachable for {pid}")


@example("errorHandler", beans=lambda: {"bankGateway": BankGateway({"P-1": 1, "P-2": 100})})
async def check_error_handler(engine: Engine) -> None:
    gateway = engine.resolve(Ref("bankGateway"))
    assert isinstance(gateway, BankGateway)
    recovers, down = payment("P-1", "10.00"), payment("P-2", "20.00")
    await ok(engine, "direct:submit-to-bank", recovers)
    (submitted,) = mock(engine, "mock:submitted").received
    assert submitted.body == recovers
    assert headers_of(submitted) == {
        "CamelRedelivered": True,
        "CamelRedeliveryCounter": 1,
        "CamelRedeliveryMaxCounter": 3,
    }
    await ok(engine, "direct:submit-to-bank", down)  # the dead letter channel handles it
    dlq = mock(engine, "mock:payments-dlq")
    (dead,) = dlq.received
    assert dead.body == down
    assert isinstance(dead.properties["CamelExceptionCaught"], ConnectionError)
    assert not {"CamelRedelivered", "CamelRedeliveryCounter"} & set(dead.headers)
    assert mock(engine, "mock:submitted").bodies == [recovers]
    # P-1: one redelivery 0.5 s on. P-2: the first attempt and 3 redeliveries, 0.5 s,
    # 1 s and 2 s apart (exponential back-off), then the dead letter queue.
    assert gaps(gateway.attempts["P-1"]) == [0.5]
    assert gaps(gateway.attempts["P-2"]) == [0.5, 1.0, 2.0]
    assert round(dlq.arrived_at[0] - gateway.attempts["P-2"][-1], 3) == 0.0


@example("onException")
async def check_on_exception(engine: Engine) -> None:
    valid, invalid = payment("P-1", "10.00"), payment("P-2", "-5.00")
    await ok(engine, "direct:accept-payment", valid)
    reply = await ok(engine, "direct:accept-payment", invalid)  # handled: no failure
    assert reply.body == "rejected: amount must be positive"
    assert mock(engine, "mock:rejections").bodies == ["rejected: amount must be positive"]
    assert mock(engine, "mock:accepted").bodies == [valid]


@example("routeConfiguration")
async def check_route_configuration(engine: Engine) -> None:
    card = payment("P-1", "10.00")
    await ok(engine, "direct:card-payment", card)  # handled by payment-errors
    (failed,) = mock(engine, "mock:failed-payments").received
    assert failed.body == card
    assert str(failed.properties["CamelExceptionCaught"]) == "card network unavailable"
    wallet = await engine.send("direct:wallet-payment", payment("P-2", "20.00"))
    assert type(wallet.exception) is RuntimeError  # IllegalStateException
    assert str(wallet.exception) == "wallet unavailable"
    assert mock(engine, "mock:failed-payments").bodies == [card]


# -- beans, placeholders, the engine's own ---------------------------------------------------
@example("beans")
async def check_beans(engine: Engine) -> None:
    for n in range(101):  # one more id than the repository keeps
        await ok(engine, "direct:dedupe-recent", n, {"paymentId": f"P-{n}"})
    await ok(engine, "direct:dedupe-recent", 100, {"paymentId": "P-100"})  # remembered
    await ok(engine, "direct:dedupe-recent", 0, {"paymentId": "P-0"})  # forgotten: the oldest
    assert mock(engine, "mock:first-seen").bodies == [*range(101), 0]


@example("propertyPlaceholders", properties={"ledger.uri": "mock:ledger-eu"})
async def check_property_placeholders(engine: Engine) -> None:
    sent = payment("P-1", "10.00")
    await ok(engine, "direct:placeholder-ledger", sent)
    (booked,) = mock(engine, "mock:ledger-eu").received
    assert headers_of(booked) == {"channel": "api"}  # the default
    given = {"ledger.uri": "mock:ledger-us", "payment.channel": "branch"}
    other = Engine()
    other.add_routes(
        load_routes(EXAMPLES / "propertyPlaceholders.yaml", properties=given, environ={})
    )
    await other.start()
    try:
        await ok(other, "direct:placeholder-ledger", sent)
        (booked,) = mock(other, "mock:ledger-us").received
        assert headers_of(booked) == {"channel": "branch"}
    finally:
        await other.stop()
    with pytest.raises(RouteConfigError, match=r"the property 'ledger.uri' .* is not set"):
        load_routes(EXAMPLES / "propertyPlaceholders.yaml", properties={}, environ={})


class LedgerWriter:
    """The batch example's batch processor: stores the payments of one call at once and
    marks each stored, remembering each call's payments."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def __call__(self, exchanges: Sequence[Exchange]) -> None:
        self.calls.append([exchange.body for exchange in exchanges])
        for exchange in exchanges:
            exchange.body = f"stored {exchange.body}"


@example("batch", beans=lambda: {"ledgerWriter": LedgerWriter()})
async def check_batch(engine: Engine) -> None:
    writer = engine.resolve(Ref("ledgerWriter"))
    assert isinstance(writer, LedgerWriter)
    sent = [f"P-{n}" for n in range(60)]
    async with asyncio.TaskGroup() as group:
        replies = [group.create_task(ok(engine, "direct:store-payment", p)) for p in sent]
    assert writer.calls == [sent[:50], sent[50:]]  # at most 50 a call
    assert [reply.result().body for reply in replies] == [f"stored {p}" for p in sent]
    stored = sorted(str(body) for body in mock(engine, "mock:stored").bodies)
    assert stored == sorted(f"stored {p}" for p in sent)
    started = now()
    await ok(engine, "direct:store-payment", "P-alone")  # alone: not held for the timeout
    assert writer.calls[-1] == ["P-alone"]
    assert round(now() - started, 3) == 0.0


def gaps(times: Sequence[float]) -> list[float]:
    return [round(later - earlier, 3) for earlier, later in itertools.pairwise(times)]


# -- the tests ---------------------------------------------------------------------------------
def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def test_every_example_file_has_a_case_and_every_case_a_file() -> None:
    names = {path.stem for path in example_files()}
    assert names - set(CASES) == set(), "example files without a check here"
    assert set(CASES) - names == set(), "checks of example files that do not exist"
    assert not list(EXAMPLES.glob("*.yml")), "name example files *.yaml"


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.name)
def test_an_example_validates_against_the_json_schema(path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in Draft202012Validator(schema).iter_errors(document)
    ]
    assert errors == []
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), "the first line names the schema for editors"
    assert (path.parent / first.removeprefix(SCHEMA_LINE)).resolve() == SCHEMA


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_example_does_what_its_header_says(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in PLACEHOLDER_VARIABLES:
        monkeypatch.setenv(variable, "mock:from-the-environment")
    with asyncio.Runner(loop_factory=looptime.new_event_loop) as runner:  # time compacted
        runner.run(run_example(name, CASES[name]))


async def run_example(name: str, case: Example) -> None:
    engine = Engine()
    for bean_name, bean in case.beans().items():
        engine.bind(bean_name, bean)
    try:
        routes = load_routes(EXAMPLES / f"{name}.yaml", properties=case.properties, environ={})
        engine.add_routes(routes)
        await engine.start()
        await case.check(engine)
    finally:
        await engine.stop()
