"""Reading a pain.001 (Customer Credit Transfer Initiation), version .03 or .09: its group
header, each payment information block (the debtor, the day) and each credit transfer.

The file is read as a stream (lxml's ``iterparse``, each transaction dropped once read),
so its size does not bound the memory, and safely: a document with a DTD is refused
before anything else is read, no entity is resolved and no network reached. It is
validated against its message's official XSD while it is read, and a validation error
surfaces only once the parser reached the end: ``check`` reads the whole file (its
counts and control sums too) before anything in it may be acted on, and ``read`` then
yields its parts.

A file refused whole is a ``FileRefused`` with an ISO 20022 status reason code: FF01
for one that is not a valid pain.001 (naming the line and element that xmlschema, which
is slower but locates, finds), AM18 for a count and AM10 for a control sum that do not
match the transactions, DU02 for a payment information id given twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import xmlschema
from lxml import etree

from payments.iso20022.schemas import PAIN_001, locator, validator


class FileRefused(Exception):
    """The whole file is refused, for ``reason`` (an ISO 20022 status reason code)."""

    def __init__(
        self, reason: str, detail: str, line: int | None = None, element: str | None = None
    ) -> None:
        place = [f"line {line}"] if line else []
        place += [element] if element else []
        super().__init__(detail + (f" ({', '.join(place)})" if place else ""))
        self.reason, self.detail, self.line, self.element = reason, detail, line, element


@dataclass(frozen=True)
class GroupHeader:
    message: str  # pain.001.001.03 or pain.001.001.09
    message_id: str
    created_at: str  # as written: an ISO 8601 date and time
    number_of_transactions: int
    control_sum: Decimal | None
    initiating_party: str | None


@dataclass(frozen=True)
class PaymentBlock:
    """A payment information block: one debtor account, one day."""

    id: str
    debtor_account: str  # as written: the IBAN, or another identification
    debtor_name: str | None
    requested_execution_date: date
    number_of_transactions: int | None
    control_sum: Decimal | None


@dataclass(frozen=True)
class CreditTransfer:
    block: str  # its payment information block's id
    end_to_end_id: str
    instruction_id: str | None
    amount: Decimal | None  # None: not an instructed amount (an equivalent amount)
    currency: str | None
    creditor_account: str
    creditor_name: str | None
    remittance: str | None  # the unstructured remittance lines, joined
    line: int


Part = GroupHeader | PaymentBlock | CreditTransfer
# The elements dropped once read, with what came before them.
_READ = frozenset({"GrpHdr", "CdtTrfTxInf", "PmtInf"})


@dataclass(frozen=True)
class Checked:
    """What a whole valid file holds, without its transactions."""

    header: GroupHeader
    blocks: tuple[PaymentBlock, ...]


def check(path: Path) -> Checked:
    """Read the whole file: valid against its XSD, and each count and control sum (of the
    file, of each block) that of its transactions. FileRefused otherwise."""
    header: GroupHeader | None = None
    blocks: list[PaymentBlock] = []
    counted: dict[str, tuple[int, Decimal]] = {}
    for part in read(path):
        if isinstance(part, GroupHeader):
            header = part
        elif isinstance(part, PaymentBlock):
            if part.id in counted:
                raise FileRefused("DU02", f"payment information {part.id} is in the file twice")
            blocks.append(part)
            counted[part.id] = (0, Decimal(0))
        else:
            count, total = counted[part.block]
            counted[part.block] = (count + 1, total + (part.amount or 0))
    assert header is not None  # the XSD requires it
    _matches("the file", header.number_of_transactions, header.control_sum, counted.values())
    for block in blocks:
        _matches(
            f"payment information {block.id}",
            block.number_of_transactions,
            block.control_sum,
            [counted[block.id]],
        )
    return Checked(header, tuple(blocks))


def _matches(
    what: str, count: int | None, total: Decimal | None, counted: Iterable[tuple[int, Decimal]]
) -> None:
    transactions = sum(n for n, _ in counted)
    amounts = sum((amount for _, amount in counted), Decimal(0))
    if count is not None and count != transactions:
        raise FileRefused("AM18", f"{what} says NbOfTxs {count}; it has {transactions}")
    if total is not None and total != amounts:
        raise FileRefused("AM10", f"{what} says CtrlSum {total}; its amounts sum to {amounts}")


def read(path: Path) -> Iterator[Part]:
    """The file's parts in their order: the group header, then each block before its
    transactions. A validation error is raised only at the end: act on none of them
    before the file passed ``check``."""
    message = _message(path)
    ns = {"p": _namespace(message)}
    with path.open("rb") as source:
        yield from _parts(path, source, message, ns)


def _parts(path: Path, source: BinaryIO, message: str, ns: dict[str, str]) -> Iterator[Part]:
    parser = _safe_iterparse(
        source,
        events=("start", "end"),
        schema=validator(message),
        remove_comments=True,
        remove_pis=True,
    )
    block: PaymentBlock | None = None
    block_element: Any = None
    unreadable: Exception | None = None
    try:
        for event, element in parser:
            name = etree.QName(element).localname
            try:
                if event == "end" and name == "GrpHdr":
                    yield _header(message, element, ns)
                elif event == "start" and name == "CdtTrfTxInf":
                    if element.getparent() is not block_element:  # its block's first
                        block_element, block = element.getparent(), None
                        block = _block(block_element, ns)
                        yield block
                elif event == "end" and name == "CdtTrfTxInf" and block is not None:
                    yield _transfer(block.id, element, ns)
            except (ValueError, ArithmeticError) as error:  # the XSD refuses it at the end
                unreadable = unreadable or error
            if event == "end" and name in _READ:  # what was read goes
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        raise _refusal(path, message, error) from None
    if unreadable is not None:  # the XSD let through what this reader cannot read
        raise FileRefused("FF01", f"not a readable {message}: {unreadable}")


def _message(path: Path) -> str:
    """Which pain.001 the file is, by its root's namespace; a DTD refuses it first."""
    try:
        with path.open("rb") as source:
            root = _root(source)
    except etree.XMLSyntaxError as error:
        raise FileRefused("FF01", f"not well-formed XML: {error.msg}", error.lineno) from None
    if root is None:
        raise FileRefused("FF01", "the file has no XML element")
    if root.getroottree().docinfo.doctype:
        raise FileRefused("FF01", "a DTD is not allowed", root.sourceline)
    namespace = etree.QName(root).namespace
    if namespace not in PAIN_001 or etree.QName(root).localname != "Document":
        accepted = " or ".join(PAIN_001)
        raise FileRefused(
            "FF01",
            f"the root element is {root.tag}; a pain.001 is a Document in {accepted}",
            root.sourceline,
        )
    return PAIN_001[namespace]


# No entity resolved, no DTD loaded, no network reached, whatever the file says.
_safe_iterparse = partial(etree.iterparse, resolve_entities=False, no_network=True, load_dtd=False)


def _root(source: BinaryIO) -> Any:
    """The root element as its start tag has it (its prolog read, nothing after)."""
    for _, root in _safe_iterparse(source, events=("start",)):
        return root
    return None


def _namespace(message: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{message}"


def _refusal(path: Path, message: str, error: etree.XMLSyntaxError) -> FileRefused:
    """A file lxml refused: not well-formed (lxml names the line), or invalid against its
    XSD (xmlschema, reading it again, names the line and the element)."""
    log: Any = error.error_log  # lxml-stubs leave the log's entries out
    if all(entry.domain != etree.ErrorDomains.SCHEMASV for entry in log):
        return FileRefused("FF01", f"not well-formed XML: {error.msg}", error.lineno)
    with path.open("rb") as source:  # with lxml's parser, as safe, which keeps lines
        resource = xmlschema.XMLResource(source, lazy=True, iterparse=_safe_iterparse)
        found = next(iter(locator(message).iter_errors(resource)), None)
    if found is None:  # lxml and xmlschema disagree: say what lxml said
        return FileRefused("FF01", f"not a valid {message}: {error.msg}")
    return FileRefused(
        "FF01", f"not a valid {message}: {found.reason}", found.sourceline, found.path
    )


def _text(element: Any, path: str, ns: dict[str, str]) -> str:
    found = element.findtext(path, namespaces=ns)
    if found is None:  # the XSD requires it: the file is refused at its end
        raise ValueError(f"{path.replace('p:', '')} is missing")
    return str(found)


def _optional(element: Any, path: str, ns: dict[str, str]) -> str | None:
    found = element.findtext(path, namespaces=ns)
    return None if found is None else str(found)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _account(element: Any, path: str, ns: dict[str, str]) -> str:
    iban = _optional(element, f"{path}/p:Id/p:IBAN", ns)
    return iban if iban is not None else _text(element, f"{path}/p:Id/p:Othr/p:Id", ns)


def _header(message: str, element: Any, ns: dict[str, str]) -> GroupHeader:
    return GroupHeader(
        message=message,
        message_id=_text(element, "p:MsgId", ns),
        created_at=_text(element, "p:CreDtTm", ns),
        number_of_transactions=int(_text(element, "p:NbOfTxs", ns)),
        control_sum=_decimal(_optional(element, "p:CtrlSum", ns)),
        initiating_party=_optional(element, "p:InitgPty/p:Nm", ns),
    )


def _block(element: Any, ns: dict[str, str]) -> PaymentBlock:
    # .03 writes the day in ReqdExctnDt; .09 in its Dt, or a date and time in its DtTm.
    day = (
        _optional(element, "p:ReqdExctnDt/p:Dt", ns)
        or _optional(element, "p:ReqdExctnDt/p:DtTm", ns)
        or _text(element, "p:ReqdExctnDt", ns)
    )
    count = _optional(element, "p:NbOfTxs", ns)
    return PaymentBlock(
        id=_text(element, "p:PmtInfId", ns),
        debtor_account=_account(element, "p:DbtrAcct", ns),
        debtor_name=_optional(element, "p:Dbtr/p:Nm", ns),
        requested_execution_date=date.fromisoformat(day[:10]),
        number_of_transactions=None if count is None else int(count),
        control_sum=_decimal(_optional(element, "p:CtrlSum", ns)),
    )


def _transfer(block: str, element: Any, ns: dict[str, str]) -> CreditTransfer:
    amount = element.find("p:Amt/p:InstdAmt", namespaces=ns)
    lines = element.findall("p:RmtInf/p:Ustrd", namespaces=ns)
    return CreditTransfer(
        block=block,
        end_to_end_id=_text(element, "p:PmtId/p:EndToEndId", ns),
        instruction_id=_optional(element, "p:PmtId/p:InstrId", ns),
        amount=None if amount is None else Decimal(amount.text),
        currency=None if amount is None else str(amount.get("Ccy")),
        creditor_account=_account(element, "p:CdtrAcct", ns),
        creditor_name=_optional(element, "p:Cdtr/p:Nm", ns),
        remittance=" ".join(str(line.text) for line in lines) or None,
        line=element.sourceline,
    )
