"""A payment file (an ISO 20022 pain.001 a client sent) and what became of each of its
transactions, and the store contract that keeps them.

A file is accepted whole or refused whole (``payments.iso20022.pain001``); an accepted
one is registered before any of its transactions becomes an order, and split after:
each transaction becomes an order, or is refused alone with an ISO 20022 reason code.
What became of each is recorded once (``record``: a second record of one transaction
changes nothing), so a file split again — sent again after a crash cut its split short —
makes no order twice and records nothing twice. A file is split to its end when
``split_done`` says so (``mark_split``). Once a transaction's order ended, its outcome
is kept too (``settle``), so that following a file reads only the orders on their way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from payments.domain.model import CamelModel, OrderStatus, PaymentOrder


class FileBlock(CamelModel):
    """A payment information block as the file states it."""

    id: str
    debtor_account: str
    requested_execution_date: date
    number_of_transactions: int | None = None
    control_sum: Decimal | None = None


class PaymentFile(CamelModel):
    """An accepted file: who sent it, which message, what it states."""

    id: str
    client_id: str
    message: str  # pain.001.001.03 or pain.001.001.09
    message_id: str  # MsgId: unique per client
    digest: str  # sha256 of the bytes received: the same MsgId must come with these
    received_at: datetime
    created_at: str  # CreDtTm, as written
    number_of_transactions: int
    control_sum: Decimal | None = None
    initiating_party: str | None = None
    blocks: tuple[FileBlock, ...] = ()
    split_done: bool = False  # every transaction is an order or refused


class FileTransaction(CamelModel):
    """One credit transfer of a file: the order it became, or why it was refused."""

    file_id: str
    index: int  # its place in the file, from 0
    block: str  # its payment information block's id
    end_to_end_id: str
    instruction_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    order_id: str | None = None
    reason: str | None = None  # an ISO 20022 status reason code, when refused
    detail: str | None = None  # what the code does not say


class FileOutcome(CamelModel):
    """Where a transaction's order stands: kept once it ended, so that reading a file
    again reads only the orders still on their way."""

    file_id: str
    index: int
    status: OrderStatus
    failure_reason: str | None = None

    @classmethod
    def of(cls, transaction: FileTransaction, order: PaymentOrder) -> FileOutcome:
        return cls(
            file_id=transaction.file_id,
            index=transaction.index,
            status=order.status,
            failure_reason=order.failure_reason,
        )


class MessageIdTaken(Exception):
    """The client sent another file under this MsgId before."""

    def __init__(self, existing: PaymentFile) -> None:
        super().__init__(f"MsgId {existing.message_id} names file {existing.id} already")
        self.existing = existing


@dataclass(frozen=True)
class Registered:
    """``register``'s answer: the file stored, and whether this call stored it."""

    file: PaymentFile
    created: bool


class FileStore(Protocol):
    async def start(self) -> None:
        """Connect and create what the store needs (indexes, tables)."""

    async def stop(self) -> None: ...

    async def register(self, file: PaymentFile) -> Registered:
        """Store the file unless its client sent one with its MsgId before: then that
        file (``created`` False) if its digest is the same, else MessageIdTaken. A
        unique index decides, never a read before the write."""

    async def get(self, file_id: str, *, client_id: str | None = None) -> PaymentFile | None:
        """The file; with ``client_id``, only if that client sent it."""

    async def record(self, transactions: Sequence[FileTransaction]) -> None:
        """What became of these transactions; one recorded before stays as it was."""

    async def mark_split(self, file_id: str) -> None:
        """Every transaction of the file is recorded."""

    async def transactions(self, file_id: str) -> Sequence[FileTransaction]:
        """The file's recorded transactions, in the file's order."""

    async def settle(self, outcomes: Sequence[FileOutcome]) -> None:
        """These transactions' orders ended so; an outcome kept before stays as it was."""

    async def outcomes(self, file_id: str) -> Sequence[FileOutcome]:
        """The outcomes kept of the file's transactions."""

    async def list(self, client_id: str | None, limit: int) -> Sequence[PaymentFile]:
        """The newest files first, the client's only with ``client_id``."""
