"""What the bank booked, from its three sources: the simulated bank's ``GET /ledger``,
a CSV statement, or an ISO 20022 camt.053 statement (the XML banks send).

CSV: one booking a row, under the header
``reference,idempotencyKey,debtorAccount,creditorAccount,amount,currency,bookedAt``
(``bookedAt`` in ISO 8601 with its offset). camt.053: every ``Ntry`` of every
``Stmt``: ``AcctSvcrRef`` (the bank's reference), ``Amt`` and its ``Ccy``,
``BookgDt/DtTm`` (or ``Dt``), and of its ``NtryDtls/TxDtls``: ``Refs/EndToEndId`` (the
idempotency key the orchestrator sent, its order id) and the ``RltdPties``' debtor and
creditor accounts (``IBAN``, or ``Othr/Id``). Accounts are compared in their electronic
form (no spaces, upper case), as the orders store them. A statement that cannot be
read is a StatementError naming the file, the place in it and the reason.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CSV_HEADER = (
    "reference",
    "idempotencyKey",
    "debtorAccount",
    "creditorAccount",
    "amount",
    "currency",
    "bookedAt",
)


class StatementError(ValueError):
    pass


@dataclass(frozen=True)
class Booking:
    """One payment the bank booked."""

    reference: str
    key: str  # the idempotency key it was booked under: the order id
    debtor: str
    creditor: str
    amount: Decimal
    currency: str
    booked_at: datetime


def ledger_bookings(ledger: dict[str, Any]) -> Iterator[Booking]:
    """The bookings of a ``GET /ledger`` answer (its entries' names are the CSV's)."""
    return (_booking(entry) for entry in ledger["entries"])


def _booking(fields: Mapping[str, str]) -> Booking:
    """A booking of a CSV row or a ledger entry, by ``CSV_HEADER``'s names."""
    return Booking(
        reference=fields["reference"],
        key=fields["idempotencyKey"],
        debtor=_account(fields["debtorAccount"]),
        creditor=_account(fields["creditorAccount"]),
        amount=Decimal(fields["amount"]),
        currency=fields["currency"],
        booked_at=_aware(datetime.fromisoformat(fields["bookedAt"])),
    )


def statement_bookings(path: Path) -> Iterator[Booking]:
    """The bookings of a CSV or camt.053 file (``.xml``), read as they come."""
    return _camt053(path) if path.suffix.lower() == ".xml" else _csv(path)


def write_csv(path: Path, entries: Iterable[Mapping[str, object]]) -> Path:
    """A CSV statement of ledger entries (``GET /ledger``'s, named as ``CSV_HEADER``)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, CSV_HEADER, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(entries)
    return path


def _csv(path: Path) -> Iterator[Booking]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(file)
        missing = [name for name in CSV_HEADER if name not in (rows.fieldnames or ())]
        if missing:
            raise StatementError(f"{path}: line 1: no column {', '.join(missing)}")
        for row in rows:
            try:
                yield _booking(row)
            except (InvalidOperation, ValueError) as error:
                raise StatementError(f"{path}: line {rows.line_num}: {error}") from None


def _camt053(path: Path) -> Iterator[Booking]:
    try:
        for _, element in ElementTree.iterparse(path):
            if _local(element.tag) == "Ntry":
                yield _entry(path, element)
                element.clear()  # a long statement is read in constant memory
    except ElementTree.ParseError as error:
        raise StatementError(f"{path}: {error}") from None


def _entry(path: Path, entry: ElementTree.Element) -> Booking:
    reference = _text(entry, "AcctSvcrRef")
    where = f"{path}: entry {reference or '?'}"
    amount = entry.find("{*}Amt")
    booked = _text(entry, "BookgDt/{*}DtTm") or _text(entry, "BookgDt/{*}Dt")
    details = entry.find("{*}NtryDtls/{*}TxDtls")
    if amount is None or details is None or not booked:
        raise StatementError(f"{where}: needs Amt, BookgDt and NtryDtls/TxDtls")
    try:
        return Booking(
            reference=reference,
            key=_text(details, "Refs/{*}EndToEndId"),
            debtor=_account(_party_account(details, "DbtrAcct")),
            creditor=_account(_party_account(details, "CdtrAcct")),
            amount=Decimal((amount.text or "").strip()),
            currency=amount.get("Ccy", ""),
            booked_at=_booked_at(booked),
        )
    except (InvalidOperation, ValueError) as error:
        raise StatementError(f"{where}: {error}") from None


def _party_account(details: ElementTree.Element, role: str) -> str:
    account = f"RltdPties/{{*}}{role}/{{*}}Id/{{*}}"
    return _text(details, account + "IBAN") or _text(details, account + "Othr/{*}Id")


def _text(element: ElementTree.Element, path: str) -> str:
    found = element.find("{*}" + path)
    return (found.text or "").strip() if found is not None else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _booked_at(text: str) -> datetime:
    if "T" in text:
        return _aware(datetime.fromisoformat(text))
    return datetime.combine(datetime.fromisoformat(text).date(), time(), UTC)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError(f"{at.isoformat()} has no UTC offset")
    return at


def _account(text: str) -> str:
    return text.replace(" ", "").upper()
