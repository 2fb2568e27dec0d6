"""Payment files end to end: a pain.001 POSTed becomes payment orders, paid once each,
and its summary and pain.002 status report follow them; on Kafka and FerretDB, and on
the embedded defaults."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from endpoints.exchange import Exchange
from payments.bank import SimulatedBank
from payments.domain.model import ANONYMOUS_CLIENT
from payments.files.intake import FileIntake
from payments.files.kept import KeptFiles
from payments.iso20022.pain001 import check
from payments.iso20022.pain002 import read_report
from payments.service.build import PaymentService
from tests.iso20022.files import CREDITOR, DEBTOR, amount_of, edited, sepa_file
from tests.payments.clocks import MONDAY, MovedClock
from tests.payments.conftest import KEY_A, KEY_B, StartService, bearer
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

XML = {"Content-Type": "application/xml"}
# The services' day is Monday 7 December 2026 (before the cut-off); a file's day before
# it asks for the payment as soon as possible.
YESTERDAY = date(2026, 12, 6)
WEDNESDAY = date(2026, 12, 9)


@pytest.fixture(params=["servers", "embedded"])
async def service(request: pytest.FixtureRequest, start_service: StartService) -> PaymentService:
    return await start_service(
        bank=SimulatedBank(), embedded=request.param == "embedded", clock=MovedClock(MONDAY)
    )


async def post_file(
    client: aiohttp.ClientSession, service: PaymentService, path: Path
) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
    data = io.BytesIO(await asyncio.to_thread(path.read_bytes))
    async with client.post(f"{service.http.url}/payment-files", data=data, headers=XML) as response:
        return response.status, await response.json(content_type=None), response


async def summary(client: aiohttp.ClientSession, service: PaymentService, file_id: str) -> Any:
    async with client.get(f"{service.http.url}/payment-files/{file_id}") as response:
        assert response.status == 200
        return await response.json()


@pytest.mark.parametrize("message", ["pain.001.001.03", "pain.001.001.09"])
async def test_every_transfer_of_a_file_becomes_an_order_paid_once(
    service: PaymentService, client: aiohttp.ClientSession, tmp_path: Path, message: str
) -> None:
    path = sepa_file(tmp_path, message, 5, day=YESTERDAY)
    status, received, response = await post_file(client, service, path)
    assert status == 202, received
    assert response.headers["Location"] == f"/payment-files/{received['id']}"
    assert (received["numberOfTransactions"], received["split"]) == (5, "INCOMPLETE")

    async def settled() -> Any:
        found = await summary(client, service, received["id"])
        return found if (found["groupStatus"], found["split"]) == ("ACSC", "DONE") else None

    done = await eventually(settled, 30)
    assert (done["transactionsByStatus"], done["split"]) == ({"EXECUTED": 5}, "DONE")
    assert service.files is not None  # each order ended: read no more, its outcome kept
    assert len(await service.files.outcomes(received["id"])) == 5
    orders = {t["endToEndId"]: t["orderId"] for t in done["transactions"]}
    assert sorted(orders) == [f"E2E-{n}" for n in range(5)]
    assert service.bank is not None
    for n in range(5):
        [paid] = service.bank.entries_for(orders[f"E2E-{n}"])
        assert (paid.debtor_account, paid.creditor_account) == (DEBTOR, CREDITOR)
        assert (paid.amount, paid.end_to_end_id, paid.remittance_information) == (
            amount_of(n),
            f"E2E-{n}",
            f"invoice {n}",
        )
    async with client.get(
        f"{service.http.url}/payment-files/{received['id']}/status-report"
    ) as answer:
        assert answer.status == 200
        assert answer.content_type == "application/xml"
        report = read_report(await answer.read(), message)
    group = report.cstmr_pmt_sts_rpt.orgnl_grp_inf_and_sts
    assert group.orgnl_msg_id == done["messageId"]
    [block] = report.cstmr_pmt_sts_rpt.orgnl_pmt_inf_and_sts
    assert len(block.tx_inf_and_sts) == 5


async def test_the_same_file_again_answers_the_same_file_and_makes_no_order_twice(
    service: PaymentService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = sepa_file(tmp_path, "pain.001.001.03", 3, day=YESTERDAY)
    first, received, _ = await post_file(client, service, path)
    again, replayed, _ = await post_file(client, service, path)
    assert (first, again) == (202, 200)
    assert replayed["id"] == received["id"]
    other = edited(path, "<EndToEndId>E2E-2</EndToEndId>", "<EndToEndId>E2E-X</EndToEndId>")
    status, problem, response = await post_file(client, service, other)
    assert status == 409
    assert response.content_type == "application/problem+json"
    assert problem["detail"].startswith("DU01")
    found = await summary(client, service, received["id"])
    assert len({t["orderId"] for t in found["transactions"]}) == 3


async def files_listed(client: aiohttp.ClientSession, service: PaymentService) -> list[Any]:
    async with client.get(f"{service.http.url}/payment-files") as response:
        assert response.status == 200
        files: list[Any] = (await response.json())["files"]
        return files


@pytest.mark.parametrize(
    ("edit", "status", "reason", "field"),
    [
        (("<CtrlSum>2.01</CtrlSum>", "<CtrlSum>2.02</CtrlSum>"), 422, "AM10", "Document"),
        (("<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>"), 422, "AM18", "Document"),
        (("pain.001.001.03", "pain.001.001.02"), 400, "FF01", "Document"),
        (
            ('<InstdAmt Ccy="EUR">1.00</InstdAmt>', '<InstdAmt Ccy="EUR">one</InstdAmt>'),
            400,
            "FF01",
            "/Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf[1]/Amt/InstdAmt",
        ),
        (
            (
                '<?xml version="1.0" encoding="utf-8"?>',
                '<?xml version="1.0" encoding="utf-8"?>\n'
                '<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
            ),
            400,
            "FF01",
            "Document",
        ),
    ],
    ids=["control sum", "count", "another namespace", "schema violation", "external entity"],
)
async def test_a_file_refused_whole_is_a_problem_naming_why_and_stores_nothing(
    service: PaymentService,
    client: aiohttp.ClientSession,
    tmp_path: Path,
    edit: tuple[str, str],
    status: int,
    reason: str,
    field: str,
) -> None:
    path = sepa_file(tmp_path, "pain.001.001.03", 2, day=YESTERDAY)
    text = path.read_text()
    assert edit[0] in text
    # The namespace everywhere; else the first (the group header's count or sum).
    path.write_text(text.replace(*edit, -1 if edit[0].startswith("pain") else 1))
    got, problem, response = await post_file(client, service, path)
    assert got == status, problem
    assert response.content_type == "application/problem+json"
    assert problem["detail"].startswith(f"{reason}: ")
    [error] = problem["errors"]
    assert error["field"] == field
    assert await files_listed(client, service) == []
    async with client.get(f"{service.http.url}/payment-orders") as orders:
        assert (await orders.json())["items"] == []
    assert not any((tmp_path / "payment-files").glob("*"))  # nothing kept


async def test_a_bad_transfer_is_refused_alone_with_its_reason_code(
    service: PaymentService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = sepa_file(tmp_path, "pain.001.001.09", 4, day=YESTERDAY)
    # The third creditor's IBAN with wrong check digits; the fourth's EndToEndId repeated.
    text = path.read_text()
    third = text.index("<EndToEndId>E2E-2</EndToEndId>")
    at = text.index(f"<IBAN>{CREDITOR}</IBAN>", third)
    bad = CREDITOR[:2] + "00" + CREDITOR[4:]
    text = text[:at] + f"<IBAN>{bad}</IBAN>" + text[at + len(f"<IBAN>{CREDITOR}</IBAN>") :]
    path.write_text(
        text.replace("<EndToEndId>E2E-3</EndToEndId>", "<EndToEndId>E2E-0</EndToEndId>")
    )
    status, received, _ = await post_file(client, service, path)
    assert status == 202, received

    async def settled() -> Any:
        found = await summary(client, service, received["id"])
        return found if found["transactionsByStatus"] == {"EXECUTED": 2, "REFUSED": 2} else None

    done = await eventually(settled, 30)
    refused = [(t["endToEndId"], t["reason"]) for t in done["transactions"] if t["reason"]]
    assert refused == [("E2E-2", "AC01"), ("E2E-0", "AM05")]
    async with client.get(
        f"{service.http.url}/payment-files/{received['id']}/status-report"
    ) as answer:
        report = read_report(await answer.read(), "pain.001.001.09")
    [block] = report.cstmr_pmt_sts_rpt.orgnl_pmt_inf_and_sts
    statuses = [(t.orgnl_end_to_end_id, t.tx_sts) for t in block.tx_inf_and_sts]
    assert statuses == [("E2E-0", "ACSC"), ("E2E-1", "ACSC"), ("E2E-2", "RJCT"), ("E2E-0", "RJCT")]
    assert block.tx_inf_and_sts[2].sts_rsn_inf[0].rsn.cd == "AC01"
    assert report.cstmr_pmt_sts_rpt.orgnl_grp_inf_and_sts.grp_sts == "PART"


async def test_a_file_is_refused_unless_it_comes_as_xml_within_its_size(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    service = await start_service(embedded=True, payment_file_max_bytes=8192)
    path = sepa_file(tmp_path, "pain.001.001.03", 1, day=YESTERDAY)
    url = f"{service.http.url}/payment-files"
    for content_type in ("application/json", "text/plain", "application/xml; charset=latin-1"):
        headers = {"Content-Type": content_type}
        async with client.post(url, data=path.read_bytes(), headers=headers) as response:
            assert response.status == 415, content_type
    large = sepa_file(tmp_path, "pain.001.001.03", 40, day=YESTERDAY, name="large.xml")
    assert large.stat().st_size > 8192
    status, problem, _ = await post_file(client, service, large)
    assert status == 413
    assert "8192 bytes" in problem["detail"]
    assert await files_listed(client, service) == []


async def test_a_five_megabyte_file_is_taken_whole(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """5 MB of comments (which the reader drops) before two transfers: the body is
    spooled to disk as it comes and read as a stream."""
    service = await start_service(embedded=True, bank=SimulatedBank())
    path = sepa_file(tmp_path, "pain.001.001.09", 2, day=YESTERDAY)
    padding = "<!-- " + "x" * (5 * 1024 * 1024) + " -->"
    edited(path, "<PmtInf>", padding + "<PmtInf>")
    status, received, _ = await post_file(client, service, path)
    assert status == 202, received
    assert received["numberOfTransactions"] == 2


async def test_a_client_sees_its_own_files_only(
    start_service: StartService,
    client: aiohttp.ClientSession,
    tmp_path: Path,
    clients_file: Path,
) -> None:
    service = await start_service(embedded=True, api_clients_file=clients_file)
    path = sepa_file(tmp_path, "pain.001.001.03", 1, day=YESTERDAY)
    url = f"{service.http.url}/payment-files"
    async with client.post(url, data=path.read_bytes(), headers=XML) as response:
        assert response.status == 401
    shop_a = {**XML, **bearer(KEY_A)}
    async with client.post(url, data=path.read_bytes(), headers=shop_a) as response:
        assert response.status == 202
        file_id = (await response.json())["id"]
    for suffix in ("", "/status-report"):
        async with client.get(f"{url}/{file_id}{suffix}", headers=bearer(KEY_B)) as response:
            assert response.status == 404
    async with client.get(url, headers=bearer(KEY_B)) as response:
        assert (await response.json())["files"] == []
    # The same MsgId is another client's own: shop-b's file is a file of its own.
    async with client.post(
        url, data=path.read_bytes(), headers={**XML, **bearer(KEY_B)}
    ) as response:
        assert response.status == 202
        assert (await response.json())["id"] != file_id


async def report_of(
    client: aiohttp.ClientSession, service: PaymentService, file_id: str, message: str
) -> Any:
    async with client.get(f"{service.http.url}/payment-files/{file_id}/status-report") as answer:
        assert answer.status == 200
        return read_report(await answer.read(), message).cstmr_pmt_sts_rpt


async def test_a_file_for_a_later_day_is_pending_then_a_cancelled_order_is_rejected(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    service = await start_service(embedded=True, clock=MovedClock(MONDAY))
    path = sepa_file(tmp_path, "pain.001.001.03", 2, day=WEDNESDAY)
    _, received, _ = await post_file(client, service, path)

    async def waiting() -> Any:
        found = await summary(client, service, received["id"])
        return found if found["transactionsByStatus"] == {"SCHEDULED": 2} else None

    found = await eventually(waiting, 20)
    report = await report_of(client, service, received["id"], "pain.001.001.03")
    assert report.orgnl_grp_inf_and_sts.grp_sts.value == "ACTC"
    [block] = report.orgnl_pmt_inf_and_sts
    assert [t.tx_sts.value for t in block.tx_inf_and_sts] == ["PDNG", "PDNG"]

    first = found["transactions"][0]["orderId"]
    async with client.post(f"{service.http.url}/payment-orders/{first}/cancel") as response:
        assert response.status == 200
    report = await report_of(client, service, received["id"], "pain.001.001.03")
    [block] = report.orgnl_pmt_inf_and_sts
    cancelled = block.tx_inf_and_sts[0]
    assert (cancelled.tx_sts.value, cancelled.sts_rsn_inf[0].rsn.cd) == ("RJCT", "DS02")
    assert report.orgnl_grp_inf_and_sts.grp_sts.value == "PART"


async def test_orders_the_bank_rejects_are_rejected_in_the_report_with_its_reason(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    bank = SimulatedBank(permanent_failure_rate=1.0, seed=1)
    service = await start_service(embedded=True, bank=bank, clock=MovedClock(MONDAY))
    _, received, _ = await post_file(
        client, service, sepa_file(tmp_path, "pain.001.001.09", 2, day=YESTERDAY)
    )

    async def failed() -> Any:
        found = await summary(client, service, received["id"])
        return found if found["transactionsByStatus"] == {"FAILED": 2} else None

    await eventually(failed, 20)
    report = await report_of(client, service, received["id"], "pain.001.001.09")
    assert report.orgnl_grp_inf_and_sts.grp_sts == "RJCT"
    [block] = report.orgnl_pmt_inf_and_sts
    for transaction in block.tx_inf_and_sts:
        [reason] = transaction.sts_rsn_inf
        assert (transaction.tx_sts, reason.rsn.cd) == ("RJCT", "MS03")
        assert "rejected" in " ".join(reason.addtl_inf)


async def test_a_split_a_crash_cut_short_is_finished_from_the_kept_file_without_a_second_order(
    start_service: StartService, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """As after a crash mid-split: the file registered and kept, its first transfer's
    order stored, nothing recorded, and no process splitting it. The sweep takes it up
    again, the split goes to its end, and the first transfer's order is the one stored
    before; sent again, the file is the same file."""
    bank = SimulatedBank()
    service = await start_service(
        embedded=True, bank=bank, clock=MovedClock(MONDAY), recovery_period=0.2
    )
    path = sepa_file(tmp_path, "pain.001.001.03", 3, day=YESTERDAY)
    sent = path.read_bytes()
    checked = check(path)
    first = {
        "debtorAccount": DEBTOR,
        "creditorAccount": CREDITOR,
        "amount": "1.00",
        "currency": "EUR",
        "endToEndId": "E2E-0",
        "remittanceInformation": "invoice 0",
    }
    key = f"pain.001/{checked.header.message_id}/{checked.blocks[0].id}/E2E-0"
    async with client.post(
        f"{service.http.url}/payment-orders", json=first, headers={"Idempotency-Key": key}
    ) as response:
        assert response.status == 201
        stored_before = (await response.json())["id"]
    assert service.files is not None
    crashed = FileIntake(service.files, KeptFiles(tmp_path / "payment-files"), MovedClock(MONDAY))
    registering = Exchange.of(path, {"payment.clientId": ANONYMOUS_CLIENT})
    await crashed.receive(registering)  # registered and kept; the process "dies" here
    file = registering.properties["paymentFile"]

    async def executed() -> Any:
        found = await summary(client, service, file.id)
        done = found["transactionsByStatus"] == {"EXECUTED": 3} and found["split"] == "DONE"
        return found if done else None

    done = await eventually(executed, 20)
    assert done["transactions"][0]["orderId"] == stored_before
    assert bank.booked() == 3
    assert not (tmp_path / "payment-files" / f"{file.id}.xml").exists()
    path.write_bytes(sent)
    status, received, _ = await post_file(client, service, path)
    assert (status, received["id"], received["split"]) == (200, file.id, "DONE")
    assert bank.booked() == 3
