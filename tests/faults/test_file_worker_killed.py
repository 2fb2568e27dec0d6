"""A processor worker killed (SIGKILL) while the orders of a pain.001 are being paid:
every transfer still becomes one order paid once, and the file's status report ends
complete and correct (every transaction ACSC)."""

from __future__ import annotations

import asyncio
import io
import signal
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from payments.iso20022.pain002 import read_report
from tests.faults.harness import Deploy, booked, outcome, request
from tests.faults.summary import FaultReport, report
from tests.iso20022.files import sepa_file
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.faults, pytest.mark.timeout(300)]

TRANSFERS = 1500
MESSAGE = "pain.001.001.09"


async def test_a_worker_killed_while_a_files_orders_run_leaves_a_complete_report(
    deploy: Deploy, client: aiohttp.ClientSession, tmp_path: Path
) -> None:
    deployment = await deploy(workers=2)
    day = date.today() - timedelta(days=1)  # a day past: paid at once, whatever today is
    body = sepa_file(tmp_path, MESSAGE, TRANSFERS, day=day).read_bytes()
    files = f"{deployment.api}/payment-files"
    sending = asyncio.create_task(
        request(
            client,
            "POST",
            files,
            bound=120,
            data=io.BytesIO(body),
            headers={"Content-Type": "application/xml"},
        )
    )
    paid_before = len(await booked(client, deployment.bank, TRANSFERS // 4, deadline=120))
    assert await deployment.workers[0].kill() == -signal.SIGKILL
    await deployment.add_worker()
    fault_over = time.monotonic()
    received = await sending
    assert received.status == 202, received.body

    async def split() -> Any:
        found = await request(client, "GET", f"{files}/{received.body['id']}", bound=60)
        return found.body if found.body["split"] == "DONE" else None

    order_ids = [t["orderId"] for t in (await eventually(split, 120))["transactions"]]
    result = await outcome(client, deployment.bank, deployment.store, order_ids, 180)
    recovered_in = time.monotonic() - fault_over

    report(
        FaultReport(
            "file-worker-killed",
            len(order_ids),
            f"SIGKILL of 1 of 2 workers after {paid_before} of a file's payments",
            result.lost,
            result.duplicated,
            recovered_in,
        )
    )
    assert len(set(order_ids)) == result.stored == TRANSFERS
    assert result.not_terminal == set(), "orders never finished"
    assert result.not_executed_once() == []
    assert result.ledger.missing == set()
    assert result.ledger.doubled == set()
    summary = await request(client, "GET", f"{files}/{received.body['id']}", bound=60)
    assert summary.body["transactionsByStatus"] == {"EXECUTED": TRANSFERS}
    async with client.get(f"{files}/{received.body['id']}/status-report") as answer:
        status_report = read_report(await answer.read(), MESSAGE).cstmr_pmt_sts_rpt
    assert status_report.orgnl_grp_inf_and_sts.grp_sts == "ACSC"
    [block] = status_report.orgnl_pmt_inf_and_sts
    assert [t.tx_sts for t in block.tx_inf_and_sts] == ["ACSC"] * TRANSFERS
    assert [t.orgnl_end_to_end_id for t in block.tx_inf_and_sts] == [
        f"E2E-{n}" for n in range(TRANSFERS)
    ]
