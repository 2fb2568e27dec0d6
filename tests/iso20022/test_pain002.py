"""The pain.002 status report of a pain.001, in the matching version, written through
the typed bindings and read back through them: each transaction's status and reason,
each block's and the file's from theirs, and a file refused whole."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from payments.iso20022.pain001 import FileRefused, check
from payments.iso20022.pain002 import (
    ACCEPTED,
    PENDING,
    REFUSED,
    BlockOutcome,
    TransactionOutcome,
    group_status,
    read_report,
    report_message,
    status_report,
)
from tests.iso20022.files import sepa_file

AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
VERSIONS = [("pain.001.001.03", "pain.002.001.03"), ("pain.001.001.09", "pain.002.001.10")]


@pytest.mark.parametrize(
    ("statuses", "group"),
    [
        ([ACCEPTED, ACCEPTED], "ACSC"),
        ([REFUSED, REFUSED], "RJCT"),
        ([ACCEPTED, REFUSED], "PART"),
        ([PENDING, REFUSED], "PART"),
        ([ACCEPTED, PENDING], "ACTC"),
        ([PENDING], "ACTC"),
    ],
)
def test_a_group_s_status_follows_from_its_transactions(statuses: list[str], group: str) -> None:
    assert group_status(statuses) == group


def code(value: Any) -> str:
    """A status as its binding holds it: an enum in .03, text in .10."""
    return str(getattr(value, "value", value))


@pytest.mark.parametrize(("message", "report"), VERSIONS)
def test_a_report_says_each_transaction_s_status_and_reads_back(
    tmp_path: Path, message: str, report: str
) -> None:
    checked = check(sepa_file(tmp_path, message, 3))
    why = "the creditor account's IBAN check digits are wrong (mod 97); " * 3
    outcome = BlockOutcome(
        checked.blocks[0],
        [
            TransactionOutcome("E2E-0", None, ACCEPTED),
            TransactionOutcome("E2E-1", "I-1", REFUSED, "AC01", why.strip()),
            TransactionOutcome("E2E-2", None, PENDING),
        ],
    )

    data = status_report(checked.header, [outcome], report_id="R-1", created_at=AT)

    assert report_message(message) == report
    assert etree.fromstring(data).tag == f"{{urn:iso:std:iso:20022:tech:xsd:{report}}}Document"
    read = read_report(data, message).cstmr_pmt_sts_rpt
    assert read.grp_hdr.msg_id == "R-1"
    group = read.orgnl_grp_inf_and_sts
    assert (group.orgnl_msg_id, group.orgnl_msg_nm_id) == (checked.header.message_id, message)
    assert (group.orgnl_nb_of_txs, group.orgnl_ctrl_sum) == ("3", checked.header.control_sum)
    assert code(group.grp_sts) == "PART"
    (block,) = read.orgnl_pmt_inf_and_sts
    assert (block.orgnl_pmt_inf_id, code(block.pmt_inf_sts)) == (checked.blocks[0].id, "PART")
    assert [
        (t.orgnl_end_to_end_id, t.orgnl_instr_id, code(t.tx_sts)) for t in block.tx_inf_and_sts
    ] == [("E2E-0", None, "ACSC"), ("E2E-1", "I-1", "RJCT"), ("E2E-2", None, "PDNG")]
    (reason,) = block.tx_inf_and_sts[1].sts_rsn_inf
    assert reason.rsn.cd == "AC01"
    assert all(len(line) <= 105 for line in reason.addtl_inf)
    assert " ".join(reason.addtl_inf) == why.strip()


@pytest.mark.parametrize(("message", "report"), VERSIONS)
def test_a_file_refused_whole_is_rjct_with_its_reason_and_no_block(
    tmp_path: Path, message: str, report: str
) -> None:
    checked = check(sepa_file(tmp_path, message, 2))
    refusal = FileRefused("AM10", "the file says CtrlSum 3.04; its amounts sum to 3.03")

    data = status_report(checked.header, [], report_id="R-2", created_at=AT, refusal=refusal)

    read = read_report(data, message).cstmr_pmt_sts_rpt
    group = read.orgnl_grp_inf_and_sts
    assert code(group.grp_sts) == "RJCT"
    assert [(r.rsn.cd, r.addtl_inf) for r in group.sts_rsn_inf] == [("AM10", [refusal.detail])]
    assert read.orgnl_pmt_inf_and_sts == []
