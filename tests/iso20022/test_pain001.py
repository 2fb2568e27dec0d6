"""Reading a pain.001, .03 and .09: what a valid file holds; a file refused whole, with
its ISO 20022 reason and where (an amount that is no amount, a count or control sum
that does not match, a block given twice, another namespace, a DTD, XML that is not
well-formed); and a large file read in bounded memory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from payments.iso20022.pain001 import (
    CreditTransfer,
    FileRefused,
    GroupHeader,
    PaymentBlock,
    check,
    read,
)
from tests.iso20022.files import CREDITOR, DAY, DEBTOR, amount_of, edited, sepa_file

MESSAGES = ["pain.001.001.03", "pain.001.001.09"]


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("message", MESSAGES)
def test_a_valid_file_reads_as_its_header_its_block_and_each_transfer(
    tmp_path: Path, message: str
) -> None:
    path = sepa_file(tmp_path, message, 3)

    checked = check(path)
    parts = list(read(path))

    header, block, *transfers = parts
    assert isinstance(header, GroupHeader)
    assert isinstance(block, PaymentBlock)
    assert (checked.header, checked.blocks) == (header, (block,))
    assert (header.message, header.number_of_transactions) == (message, 3)
    assert header.control_sum == sum(amount_of(n) for n in range(3))
    assert header.initiating_party == "Shop A GmbH"
    assert (block.debtor_account, block.debtor_name) == (DEBTOR, "Shop A GmbH")
    assert block.requested_execution_date == DAY
    assert (block.number_of_transactions, block.control_sum) == (3, header.control_sum)
    assert [
        (t.block, t.end_to_end_id, t.amount, t.currency, t.creditor_account, t.remittance)
        for t in transfers
        if isinstance(t, CreditTransfer)
    ] == [(block.id, f"E2E-{n}", amount_of(n), "EUR", CREDITOR, f"invoice {n}") for n in range(3)]
    lines = [t.line for t in transfers if isinstance(t, CreditTransfer)]
    assert lines == sorted(lines)  # where each starts in the file
    assert lines[0] > 1


@pytest.mark.parametrize("message", MESSAGES)
def test_an_amount_that_is_no_amount_is_refused_naming_its_line_and_element(
    tmp_path: Path, message: str
) -> None:
    path = edited(sepa_file(tmp_path, message, 3), ">1.01<", ">1,01<")  # a decimal comma
    line = line_of(path, "1,01")

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert refused.value.reason == "FF01"
    assert refused.value.line == line
    assert refused.value.element is not None
    assert refused.value.element.endswith("CdtTrfTxInf[2]/Amt/InstdAmt")
    assert "'1,01'" in refused.value.detail


@pytest.mark.parametrize(
    ("old", "new", "reason", "says"),
    [
        ("<CtrlSum>3.03</CtrlSum>", "<CtrlSum>3.04</CtrlSum>", "AM10", "CtrlSum 3.04"),
        ("<NbOfTxs>3</NbOfTxs>", "<NbOfTxs>4</NbOfTxs>", "AM18", "NbOfTxs 4; it has 3"),
    ],
    ids=["control sum", "number of transactions"],
)
@pytest.mark.parametrize("where", ["file", "block"])
def test_a_count_or_control_sum_that_does_not_match_refuses_the_file(
    tmp_path: Path, old: str, new: str, reason: str, says: str, where: str
) -> None:
    text = sepa_file(tmp_path, "pain.001.001.09", 3).read_text()
    # The group header's comes first, the block's second.
    at = text.index(old) if where == "file" else text.index(old, text.index("<PmtInf>"))
    path = tmp_path / "edited.xml"
    path.write_text(text[:at] + new + text[at + len(old) :])

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert refused.value.reason == reason
    assert says in refused.value.detail
    assert ("the file" if where == "file" else "payment information") in refused.value.detail


def test_a_payment_information_block_given_twice_refuses_the_file(tmp_path: Path) -> None:
    path = sepa_file(tmp_path, "pain.001.001.09", 1)
    text = path.read_text()
    block = text[text.index("<PmtInf>") : text.index("</PmtInf>") + len("</PmtInf>")]
    path.write_text(
        text.replace(block, block + block)
        .replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>", 1)
        .replace("<CtrlSum>1.00</CtrlSum>", "<CtrlSum>2.00</CtrlSum>", 1)
    )

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert refused.value.reason == "DU02"


def test_another_namespace_is_refused_naming_the_ones_read(tmp_path: Path) -> None:
    path = edited(sepa_file(tmp_path, "pain.001.001.09", 1), "pain.001.001.09", "pain.001.001.10")

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert refused.value.reason == "FF01"
    assert "urn:iso:std:iso:20022:tech:xsd:pain.001.001.10" in refused.value.detail
    assert "pain.001.001.03 or urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" in str(refused.value)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE Document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>',
        '<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/pain.dtd">',
    ],
    ids=["external entity", "entity expansion", "external DTD"],
)
def test_a_document_with_a_dtd_is_refused_before_anything_is_read(
    tmp_path: Path, doctype: str
) -> None:
    path = sepa_file(tmp_path, "pain.001.001.09", 1)
    text = path.read_text()
    entity = "&secret;" if "secret" in doctype else "&d;" if "&c;" in doctype else "x"
    text = text.replace('<?xml version="1.0" encoding="utf-8"?>\n', "")
    path.write_text(doctype + "\n" + text.replace("<Nm>Shop A GmbH</Nm>", f"<Nm>{entity}</Nm>"))

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert (refused.value.reason, refused.value.detail) == ("FF01", "a DTD is not allowed")
    assert "root:" not in str(refused.value)


def test_xml_that_is_not_well_formed_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = edited(sepa_file(tmp_path, "pain.001.001.03", 2), "</Cdtr>", "</Creditor>", 2)
    line = line_of(path, "</Creditor>")

    with pytest.raises(FileRefused) as refused:
        check(path)

    assert refused.value.reason == "FF01"
    assert refused.value.detail.startswith("not well-formed XML")
    assert refused.value.line == line


def test_a_day_and_time_in_a_09_file_is_its_day(tmp_path: Path) -> None:
    path = edited(
        sepa_file(tmp_path, "pain.001.001.09", 1),
        "<Dt>2026-12-08</Dt>",
        "<DtTm>2026-12-09T10:00:00</DtTm>",
    )
    assert check(path).blocks[0].requested_execution_date == date(2026, 12, 9)


def resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def test_a_large_file_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """20,000 transfers (about 14 MB as written): lxml holding the whole tree would take
    well over 100 MB; read as a stream, memory stays within a few MB of where it was."""
    path = sepa_file(tmp_path, "pain.001.001.09", 20_000)
    before = resident_mib()
    highest, total, count = before, Decimal(0), 0
    for part in read(path):
        if isinstance(part, CreditTransfer):
            count += 1
            total += part.amount or 0
            if count % 1000 == 0:
                highest = max(highest, resident_mib())
    assert count == 20_000
    assert total == sum(amount_of(n) for n in range(20_000))
    assert highest - before < 30, f"{before:.0f} MiB before, {highest:.0f} MiB at most"
