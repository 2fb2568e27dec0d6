"""Writing the pain.002 (Customer Payment Status Report) that answers a pain.001: in the
matching version (pain.002.001.03 for a .03 file, .10 for a .09 file), through the
typed bindings ``pyiso20022`` generated from the official schemas (xsdata dataclasses),
never by text templates; ``read_report`` reads one back through the same bindings.

A transaction is ACSC once its order is EXECUTED, RJCT with a reason code when it was
refused or its order FAILED or was CANCELLED, PDNG while its order is on its way. A
block's status and the file's follow from theirs (``group_status``); a file refused
whole is RJCT with its reason and lists no block.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyiso20022.pain import pain_002_001_03, pain_002_001_10
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDateTime

from payments.iso20022.pain001 import FileRefused, GroupHeader, PaymentBlock

ACCEPTED = "ACSC"  # settled: the order is EXECUTED
REFUSED = "RJCT"
PENDING = "PDNG"
# ISO 20022 ExternalStatusReason1Code's AddtlInf: at most 105 characters a line.
_LINE = 105


@dataclass(frozen=True)
class TransactionOutcome:
    end_to_end_id: str
    instruction_id: str | None
    status: str  # ACSC, RJCT or PDNG
    reason: str | None = None  # an ISO 20022 status reason code, for RJCT
    text: str | None = None  # what the reason code does not say


@dataclass(frozen=True)
class BlockOutcome:
    block: PaymentBlock
    transactions: Sequence[TransactionOutcome]


def group_status(statuses: Iterable[str]) -> str:
    """Of a block or a file, from its transactions': RJCT when all are refused, ACSC
    when all are settled, PART when some are refused, ACTC (accepted after technical
    validation) while the others are on their way."""
    seen = set(statuses)
    if seen <= {REFUSED}:
        return REFUSED
    if seen == {ACCEPTED}:
        return ACCEPTED
    return "PART" if REFUSED in seen else "ACTC"


Make = Callable[..., Any]  # a binding class: its fields by keyword


@dataclass(frozen=True)
class _Bindings:
    """One pain.002 version's classes: the same structure under other names."""

    message: str
    document: type[Any]
    report: Make
    header: Make
    original_group: Make
    original_block: Make
    transaction: Make
    reason_information: Make
    reason: Make
    group_code: Make  # a status as the version writes it: an enum in .03, text in .10
    transaction_code: Make


_V03, _V10 = pain_002_001_03, pain_002_001_10
_BINDINGS = {
    "pain.001.001.03": _Bindings(
        "pain.002.001.03",
        _V03.Document,
        _V03.CustomerPaymentStatusReportV03,
        _V03.GroupHeader36,
        _V03.OriginalGroupInformation20,
        _V03.OriginalPaymentInformation1,
        _V03.PaymentTransactionInformation25,
        _V03.StatusReasonInformation8,
        _V03.StatusReason6Choice,
        _V03.TransactionGroupStatus3Code,
        _V03.TransactionIndividualStatus3Code,
    ),
    "pain.001.001.09": _Bindings(
        "pain.002.001.10",
        _V10.Document,
        _V10.CustomerPaymentStatusReportV10,
        _V10.GroupHeader86,
        _V10.OriginalGroupHeader17,
        _V10.OriginalPaymentInstruction32,
        _V10.PaymentTransaction105,
        _V10.StatusReasonInformation12,
        _V10.StatusReason6Choice,
        str,
        str,
    ),
}


def report_message(message: str) -> str:
    """The pain.002 that answers this pain.001."""
    return _BINDINGS[message].message


def status_report(
    header: GroupHeader,
    blocks: Sequence[BlockOutcome],
    *,
    report_id: str,
    created_at: datetime,
    refusal: FileRefused | None = None,
) -> bytes:
    """The pain.002 of the file ``header`` heads: each block and transaction with its
    status, or (``refusal``) the whole file RJCT with its reason."""
    bindings = _BINDINGS[header.message]
    statuses = [t.status for outcome in blocks for t in outcome.transactions]
    group = bindings.original_group(
        orgnl_msg_id=header.message_id,
        orgnl_msg_nm_id=header.message,
        orgnl_nb_of_txs=str(header.number_of_transactions),
        orgnl_ctrl_sum=header.control_sum,
        grp_sts=bindings.group_code(REFUSED if refusal else group_status(statuses)),
        sts_rsn_inf=[_reason(bindings, refusal.reason, refusal.detail)] if refusal else [],
    )
    report = bindings.report(
        grp_hdr=bindings.header(msg_id=report_id, cre_dt_tm=XmlDateTime.from_datetime(created_at)),
        orgnl_grp_inf_and_sts=group,
        orgnl_pmt_inf_and_sts=[] if refusal else [_block(bindings, o) for o in blocks],
    )
    document = bindings.document(cstmr_pmt_sts_rpt=report)
    serializer = XmlSerializer(config=SerializerConfig(indent="  "))
    namespace = f"urn:iso:std:iso:20022:tech:xsd:{bindings.message}"
    return serializer.render(document, ns_map={None: namespace}).encode()


def read_report(data: bytes, message: str) -> Any:
    """A pain.002 (of the version answering ``message``) as its bindings' Document."""
    return XmlParser().from_bytes(data, _BINDINGS[message].document)


def _block(bindings: _Bindings, outcome: BlockOutcome) -> Any:
    block = outcome.block
    return bindings.original_block(
        orgnl_pmt_inf_id=block.id,
        orgnl_nb_of_txs=(
            None if block.number_of_transactions is None else str(block.number_of_transactions)
        ),
        orgnl_ctrl_sum=block.control_sum,
        pmt_inf_sts=bindings.group_code(group_status(t.status for t in outcome.transactions)),
        tx_inf_and_sts=[_transaction(bindings, t) for t in outcome.transactions],
    )


def _transaction(bindings: _Bindings, outcome: TransactionOutcome) -> Any:
    reasons = (
        [_reason(bindings, outcome.reason, outcome.text)] if outcome.reason is not None else []
    )
    return bindings.transaction(
        orgnl_instr_id=outcome.instruction_id,
        orgnl_end_to_end_id=outcome.end_to_end_id,
        tx_sts=bindings.transaction_code(outcome.status),
        sts_rsn_inf=reasons,
    )


def _reason(bindings: _Bindings, code: str, text: str | None) -> Any:
    lines = textwrap.wrap(text, _LINE) if text else []
    return bindings.reason_information(
        rsn=bindings.reason(cd=code),
        addtl_inf=lines,
    )
