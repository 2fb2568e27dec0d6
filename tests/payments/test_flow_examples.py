"""The edits a payments team makes first, as ``config/routes/examples/flow/`` ships them,
each on the real Kafka and MongoDB-wire servers: an audit copy of every event, a
sanctions screening before the bank, a second bank for one currency. Each example is
the shipped file plus its marked lines, and keeps the flow's promises."""

from __future__ import annotations

import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.settings import SHIPPED_ROUTES
from payments.bank import SimulatedBank, create_bank_app
from payments.domain.topics import TopicNames
from payments.screening import ScreeningSettings, create_screening_app
from payments.service.build import PaymentService
from tests.faults.topics import header_values, read_topic
from tests.payments.conftest import VALID_ORDER, ServeApp, StartService
from tests.payments.test_flow_safety import KAFKA, check
from tests.payments.test_lifecycle import post, until_terminal
from tests.payments.wire import asyncapi_document, validate_asyncapi
from tests.polling import eventually

EXAMPLES = SHIPPED_ROUTES / "examples" / "flow"
MARKS = {"audit": "# audit", "screening": "# screening", "second-bank": "# second bank"}
LISTED = "GB33BUKB20201555555555"  # a creditor on the screening's list


def flow_with(example: str, folder: Path) -> Path:
    """The shipped flow with the example's files in place of the shipped ones."""
    shutil.copytree(SHIPPED_ROUTES, folder, ignore=shutil.ignore_patterns("examples"))
    shutil.copytree(EXAMPLES / example, folder, dirs_exist_ok=True)
    return folder


@pytest.mark.parametrize("example", list(MARKS))
def test_an_example_is_the_shipped_file_plus_its_marked_lines(example: str) -> None:
    edited = EXAMPLES / example / "process" / "execution.yaml"
    lines = edited.read_text().splitlines()
    shipped = iter((SHIPPED_ROUTES / "process" / "execution.yaml").read_text().splitlines())
    expected: str | None = next(shipped)
    added: list[str] = []
    for line in lines:  # the shipped lines, in order, each in place or moved into a block
        if expected is not None and line.strip() == expected.strip():
            expected = next(shipped, None)
        else:
            added.append(line)
    assert expected is None, f"{example} lacks the shipped line {expected!r}"
    header = [line for line in added if line.startswith("#")]
    assert added[: len(header)] == header, "the header comes first"
    unmarked = [line for line in added[len(header) :] if not line.endswith(MARKS[example])]
    assert unmarked == []


@pytest.mark.parametrize("example", list(MARKS))
def test_an_example_keeps_the_flow_s_promises(
    example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SANCTIONS_SCREENING_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SECOND_BANK_URL", "http://127.0.0.1:9")
    check(flow_with(example, tmp_path / "routes"), KAFKA)


async def create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()


async def place(
    client: aiohttp.ClientSession, service: PaymentService, count: int, **changes: str
) -> list[dict[str, Any]]:
    placed = [await post(client, service, VALID_ORDER | changes) for _ in range(count)]
    assert [status for status, _, _ in placed] == [201] * count
    return [await until_terminal(client, service, order["id"]) for _, order, _ in placed]


async def test_audit_copies_every_event_with_its_headers(
    start_service: StartService,
    client: aiohttp.ClientSession,
    kafka_bootstrap: str,
    tenant: str,
    tmp_path: Path,
) -> None:
    topics = TopicNames(f"{tenant}.")
    audit = f"{tenant}.payment.audit"
    await create_topic(kafka_bootstrap, audit)
    routes = flow_with("audit", tmp_path / "routes")
    paying = await start_service(routes_dir=routes, bank=SimulatedBank())
    orders = await place(client, paying, 3)
    await paying.stop()  # one bank at a time: the two would share the commands
    refusing = await start_service(routes_dir=routes, bank=SimulatedBank(permanent_failure_rate=1))
    orders += await place(client, refusing, 3)
    assert [order["status"] for order in orders] == ["EXECUTED"] * 3 + ["FAILED"] * 3

    events = [
        *await read_topic(kafka_bootstrap, topics.executed),
        *await read_topic(kafka_bootstrap, topics.failed),
    ]
    assert len(events) == len(orders)

    async def copied() -> list[Any] | None:
        records = await read_topic(kafka_bootstrap, audit)
        return records if len(records) >= len(events) else None

    async with client.get(f"{refusing.http.url}/asyncapi.json") as response:
        topics_document = await response.json()
    assert topics_document["channels"]["paymentAudit"] == {
        "address": "payment.audit",
        "description": "A topic of the edited flow; its messages are what it sends.",
    }
    validate_asyncapi(topics_document)
    assert topics_document["operations"]["sendPaymentAudit"] == {
        "action": "send",
        "channel": {"$ref": "#/channels/paymentAudit"},
        "summary": "Send to it: route execute-payment-order, fail-payment-order.",
        "tags": [{"name": "processor"}],
    }
    copies = await eventually(copied)
    assert Counter((r.key, r.value) for r in copies) == Counter((r.key, r.value) for r in events)
    by_key = {record.key: header_values(record) for record in copies}
    for event in events:  # the same headers, but the trace's own span of each send
        headers = header_values(event)
        copy = by_key[event.key]
        assert {k: v for k, v in headers.items() if k not in ("traceparent", "tracestate")} == {
            k: v for k, v in copy.items() if k not in ("traceparent", "tracestate")
        }


async def test_screening_pays_the_clear_fails_the_listed_and_never_pays_unscreened(
    start_service: StartService,
    client: aiohttp.ClientSession,
    serve_app: ServeApp,
    kafka_bootstrap: str,
    tenant: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = ScreeningSettings.model_validate({"listed": f"{LISTED}=EU sanctions list, entry 17"})
    monkeypatch.setenv("SANCTIONS_SCREENING_URL", await serve_app(create_screening_app(listed)))
    bank = SimulatedBank()
    routes = flow_with("screening", tmp_path / "routes")
    service = await start_service(routes_dir=routes, bank=bank)
    [clear] = await place(client, service, 1)
    [hit] = await place(client, service, 1, creditorAccount=LISTED)
    assert clear["status"] == "EXECUTED"
    assert hit["status"] == "FAILED"
    assert hit["failureReason"] == "refused by sanctions screening: EU sanctions list, entry 17"
    assert hit["attempts"] == 1  # a hit is not asked again
    assert bank.entries_for(hit["id"]) == []
    topics = TopicNames(f"{tenant}.")
    letters = await read_topic(kafka_bootstrap, topics.dead_letter)
    assert [letter.key.decode() for letter in letters] == [hit["id"]]
    failed = await read_topic(kafka_bootstrap, topics.failed)
    assert [event.key.decode() for event in failed] == [hit["id"]]

    # A screening that does not answer: retried, then failed; never paid unscreened.
    await service.stop()  # its workers would take the command
    monkeypatch.setenv("SANCTIONS_SCREENING_URL", "http://127.0.0.1:9")  # nothing listens
    silent = await start_service(routes_dir=routes, bank=bank, gateway_max_redeliveries=2)
    [unscreened] = await place(client, silent, 1)
    assert unscreened["status"] == "FAILED"
    assert unscreened["failureReason"] == "sanctions screening unavailable after 3 attempts"
    assert bank.entries_for(unscreened["id"]) == []


async def test_a_second_bank_pays_one_currency_and_both_ledgers_are_reconciled(
    start_service: StartService,
    client: aiohttp.ClientSession,
    serve_app: ServeApp,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = SimulatedBank(), SimulatedBank()
    first_url = await serve_app(create_bank_app(first))
    second_url = await serve_app(create_bank_app(second))
    monkeypatch.setenv("SECOND_BANK_URL", second_url)
    service = await start_service(
        routes_dir=flow_with("second-bank", tmp_path / "routes"),
        gateway_url=first_url,
        reconcile_period=0.2,
        reconcile_ledgers=(second_url,),
    )
    euros = await place(client, service, 2)
    francs = await place(client, service, 2, currency="CHF", amount="80.00")
    assert {order["status"] for order in euros + francs} == {"EXECUTED"}
    assert {entry.idempotency_key for entry in first.ledger()} == {o["id"] for o in euros}
    assert {entry.idempotency_key for entry in second.ledger()} == {o["id"] for o in francs}
    assert {entry.amount for entry in second.ledger()} == {Decimal("80.00")}

    async def reconciled() -> dict[str, Any] | None:
        async with client.get(f"{service.http.url}/console/api/reconciliation") as response:
            report: dict[str, Any] = await response.json()
        return report if report.get("matched") == 4 else None

    report = await eventually(reconciled)
    assert report["mismatches"] == []


async def test_the_topics_document_of_the_shipped_flow_is_the_committed_one(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    """The AsyncAPI document is derived from the routes as loaded: for the flow as
    shipped, it is schemas/asyncapi.yaml."""
    service = await start_service()
    async with client.get(f"{service.http.url}/asyncapi.json") as response:
        assert response.status == 200
        assert await response.json() == asyncapi_document()
