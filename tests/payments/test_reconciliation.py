"""``app.py reconcile`` on the real servers: orders executed through the bank's HTTP
service match its ledger; planted mismatches in a CSV statement are each reported;
a camt.053 statement of the same bookings matches; an in-flight order is not a
mismatch; a bank that does not answer is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from config.settings import Settings
from endpoints.exchange import utcnow
from infra.server import free_port
from infra.services import service_processes
from payments.bank import SimulatedBank
from payments.domain.model import OrderStatus
from payments.gateway import PaymentRequest
from payments.operations.reconciliation import run
from payments.operations.statements import write_csv
from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.store_steps import created, new_order
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]
APP = Path(__file__).resolve().parents[2] / "app.py"


@dataclass
class Booked:
    service: PaymentService
    settings: Settings
    ledger: list[dict[str, Any]]  # the bank's entries, as GET /ledger gives them


@pytest.fixture
async def booked(
    start_service: StartService,
    kafka_bootstrap: str,
    mongo_uri: str,
    tenant: str,
    tmp_path: Path,
) -> AsyncIterator[Booked]:
    """Three orders executed through the simulated bank's HTTP service."""
    async with service_processes(tmp_path) as processes, aiohttp.ClientSession() as client:
        bank = await processes.start("gateway", {})
        await bank.ready("/health")
        service = await start_service("all", gateway_url=bank.url)
        ids = []
        for n in range(3):
            order = {**VALID_ORDER, "amount": f"{10 + n}.50"}
            async with client.post(f"{service.http.url}/payment-orders", json=order) as answer:
                assert answer.status == 201
                ids.append((await answer.json())["id"])

        async def all_executed() -> list[dict[str, Any]]:
            orders = [await service.store.get(order_id) for order_id in ids]
            if not all(o is not None and o.status is OrderStatus.EXECUTED for o in orders):
                return []
            async with client.get(f"{bank.url}/ledger") as answer:
                entries: list[dict[str, Any]] = (await answer.json())["entries"]
            return entries

        ledger = await eventually(all_executed, deadline=30)
        settings = Settings(
            mongo_uri=mongo_uri,
            mongo_database=tenant,
            kafka_bootstrap_servers=kafka_bootstrap,
            gateway_url=bank.url,
        )
        yield Booked(service, settings, ledger)


async def test_orders_executed_through_the_bank_match_its_ledger(
    booked: Booked, capsys: pytest.CaptureFixture[str]
) -> None:
    in_flight = await created(booked.service.store, new_order(at=utcnow()))  # PENDING
    assert await run(booked.settings, []) == 0
    assert capsys.readouterr().out == "4 orders, 3 bookings: 3 matched, 1 in flight, 0 mismatches\n"
    assert await run(booked.settings, ["--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["in_flight"] == [in_flight.id]


async def test_each_planted_mismatch_of_a_statement_is_reported(
    booked: Booked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paid_twice, wrong_amount, missing = booked.ledger
    stray = {**paid_twice, "reference": "stray-1", "idempotencyKey": "no-such-order"}
    twice = {**paid_twice, "reference": "second-booking"}
    amount = {**wrong_amount, "amount": "1000.00"}
    statement = write_csv(tmp_path / "statement.csv", [paid_twice, twice, amount, stray])

    assert await run(booked.settings, ["--statement", str(statement)]) == 1
    *lines, summary = capsys.readouterr().out.splitlines()
    found = {tuple(line.split("\t")[:2]) for line in lines}
    assert found == {
        ("booked-more-than-once", paid_twice["idempotencyKey"]),
        ("booking-differs", wrong_amount["idempotencyKey"]),
        ("executed-not-booked", missing["idempotencyKey"]),
        ("booked-without-order", "-"),
    }
    differs = next(line for line in lines if line.startswith("booking-differs"))
    assert differs.endswith(f"amount {wrong_amount['amount']} != 1000.00")
    assert summary == "3 orders, 4 bookings: 0 matched, 0 in flight, 4 mismatches"


async def test_a_camt053_statement_of_the_bookings_matches(
    booked: Booked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = "".join(
        f"""<Ntry><Amt Ccy="{e["currency"]}">{e["amount"]}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
        <BookgDt><DtTm>{e["bookedAt"]}</DtTm></BookgDt><AcctSvcrRef>{e["reference"]}</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>{e["idempotencyKey"]}</EndToEndId></Refs>
        <RltdPties><DbtrAcct><Id><IBAN>{e["debtorAccount"]}</IBAN></Id></DbtrAcct>
        <CdtrAcct><Id><IBAN>{e["creditorAccount"]}</IBAN></Id></CdtrAcct></RltdPties>
        </TxDtls></NtryDtls></Ntry>"""
        for e in booked.ledger
    )
    statement = tmp_path / "statement.xml"
    statement.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        f"<BkToCstmrStmt><Stmt><Id>1</Id>{entries}</Stmt></BkToCstmrStmt></Document>"
    )
    assert await run(booked.settings, ["--statement", str(statement)]) == 0
    assert capsys.readouterr().out == "3 orders, 3 bookings: 3 matched, 0 in flight, 0 mismatches\n"


async def test_a_bank_that_does_not_answer_is_one_line_and_exit_2(
    booked: Booked, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    settings = booked.settings.model_copy(update={"gateway_url": gone})
    assert await run(settings, []) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"app.py reconcile: GATEWAY_URL={gone}: ")


async def test_a_statement_without_a_column_names_the_file_and_the_column(
    booked: Booked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text("reference,amount\nr-1,1.00\n")
    assert await run(booked.settings, ["--statement", str(statement)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"app.py reconcile: {statement}: line 1: no column idempotencyKey")


async def test_the_embedded_default_reconciles_against_a_statement(
    start_service: StartService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bank = SimulatedBank()
    service = await start_service("all", embedded=True, bank=bank)
    async with aiohttp.ClientSession() as client:
        for _ in range(2):
            async with client.post(f"{service.http.url}/payment-orders", json=VALID_ORDER) as r:
                assert r.status == 201

    async def both_booked() -> list[dict[str, Any]]:
        counts = await service.store.count_by_status()
        booked = [entry.model_dump(mode="json", by_alias=True) for entry in bank.ledger()]
        return booked if counts.get(OrderStatus.EXECUTED) == 2 else []

    statement = write_csv(tmp_path / "statement.csv", await eventually(both_booked))
    settings = Settings(
        kafka_bootstrap_servers=None, mongo_uri=None, store_path=service.settings.store_path
    )
    assert await run(settings, ["--statement", str(statement)]) == 0
    assert capsys.readouterr().out == "2 orders, 2 bookings: 2 matched, 0 in flight, 0 mismatches\n"


def test_app_py_runs_the_command_and_needs_a_bank(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != "GATEWAY_URL"}
    result = subprocess.run(
        [sys.executable, str(APP), "reconcile"],
        cwd=tmp_path,
        env={**env, "STORE_PATH": str(tmp_path / "orders.sqlite3")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "app.py reconcile: no bank to compare with: set GATEWAY_URL or give --statement\n"
    )


async def test_the_ingestion_service_reconciles_on_a_timer_and_publishes_the_mismatches(
    start_service: StartService,
) -> None:
    bank = SimulatedBank()
    service = await start_service("all", embedded=True, bank=bank, reconcile_period=0.2)
    console, scrape = (
        f"{service.http.url}/console/api/reconciliation",
        f"{service.http.url}/metrics",
    )
    async with aiohttp.ClientSession() as client:
        for _ in range(2):
            async with client.post(f"{service.http.url}/payment-orders", json=VALID_ORDER) as r:
                assert r.status == 201

        async def reported(matched: int, mismatches: int) -> dict[str, Any] | None:
            async with client.get(console) as answer:
                if answer.status != 200:
                    return None
                report: dict[str, Any] = await answer.json()
            found = (report["matched"], len(report["mismatches"]))
            return report if found == (matched, mismatches) else None

        await eventually(lambda: reported(2, 0))
        await bank.pay(
            "no-such-order",
            PaymentRequest(
                debtor_account="DE89370400440532013000",
                creditor_account="GB82WEST12345698765432",
                amount=Decimal("5.00"),
                currency="EUR",
            ),
        )  # a booking no order explains
        report = await eventually(lambda: reported(2, 1))
        assert report["mismatches"][0]["kind"] == "booked-without-order"
        async with client.get(scrape) as answer:
            metrics = await answer.text()
        assert 'payment_reconciliation_mismatches{kind="booked-without-order"} 1.0' in metrics
        assert 'payment_reconciliation_mismatches{kind="executed-not-booked"} 0.0' in metrics


async def test_the_console_says_when_reconciliation_is_off(start_service: StartService) -> None:
    service = await start_service("all", embedded=True)
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"{service.http.url}/console/api/reconciliation") as answer,
    ):
        assert answer.status == 404
        assert (await answer.json())["detail"] == "reconciliation is off: set RECONCILE_PERIOD"


async def test_since_and_until_bound_orders_and_bookings(
    booked: Booked, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = (utcnow() + timedelta(hours=1)).isoformat()
    earlier = (utcnow() - timedelta(hours=1)).isoformat()
    assert await run(booked.settings, ["--since", later]) == 0
    assert capsys.readouterr().out == "0 orders, 0 bookings: 0 matched, 0 in flight, 0 mismatches\n"
    assert await run(booked.settings, ["--since", earlier, "--until", later]) == 0
    assert capsys.readouterr().out == "3 orders, 3 bookings: 3 matched, 0 in flight, 0 mismatches\n"
    assert await run(booked.settings, ["--until", "2000-01-01"]) == 0  # no offset: UTC
    assert capsys.readouterr().out == "0 orders, 0 bookings: 0 matched, 0 in flight, 0 mismatches\n"
    # A booking within the window, of an order created before it, is checked against it.
    first = {**booked.ledger[0], "bookedAt": (utcnow() + timedelta(hours=2)).isoformat()}
    statement = write_csv(tmp_path / "statement.csv", [first])
    assert await run(booked.settings, ["--statement", str(statement), "--since", later]) == 0
    assert capsys.readouterr().out == "0 orders, 1 bookings: 1 matched, 0 in flight, 0 mismatches\n"


async def test_a_store_that_does_not_answer_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    statement = write_csv(tmp_path / "statement.csv", [])
    uri = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    settings = Settings(mongo_uri=uri, kafka_bootstrap_servers=None)
    assert await run(settings, ["--statement", str(statement)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("app.py reconcile: MongoDB unreachable: ")
