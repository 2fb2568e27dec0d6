"""What became of a payment file, as its orders stand now: a summary (counts by status)
and the pain.002 status report in the version that answers the file's.

A transaction's status is its order's: ACSC once EXECUTED, RJCT with MS03 (a reason the
bank's answer gives, in its text) once FAILED, RJCT with DS02 (OrderCancelled) once
CANCELLED, PDNG before; one refused when the file was split is RJCT with its code. The
orders still on their way are read as they are now, a bounded number at once; the
outcome of one that ended is kept with the file, and not read again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from payments.domain.files import FileOutcome, FileStore, FileTransaction, PaymentFile
from payments.domain.model import CamelModel, OrderStatus
from payments.domain.store import OrderStore
from payments.iso20022.pain001 import GroupHeader, PaymentBlock
from payments.iso20022.pain002 import (
    ACCEPTED,
    PENDING,
    REFUSED,
    BlockOutcome,
    TransactionOutcome,
    group_status,
    status_report,
)
from payments.lifecycle.orders import Clock

# Orders read at once for a report: what the store answers without crowding the flow.
READS_AT_ONCE = 16
FAILED_REASON = "MS03"  # NotSpecifiedReasonAgentGenerated: the text says what the bank said
CANCELLED_REASON = "DS02"  # OrderCancelled
REFUSED_STATUS = "REFUSED"  # a transaction the split refused: it has no order


class FileReceipt(CamelModel):
    """A file as its client reads it without its transactions."""

    id: str
    message_id: str
    message: str
    received_at: datetime
    number_of_transactions: int
    control_sum: Decimal | None = None
    split: Literal["DONE", "INCOMPLETE"]  # INCOMPLETE: send the file again to finish it

    @classmethod
    def of(cls, file: PaymentFile) -> FileReceipt:
        return cls(
            id=file.id,
            message_id=file.message_id,
            message=file.message,
            received_at=file.received_at,
            number_of_transactions=file.number_of_transactions,
            control_sum=file.control_sum,
            split="DONE" if file.split_done else "INCOMPLETE",
        )


class TransactionState(CamelModel):
    """A transaction of a file as its order stands now."""

    end_to_end_id: str
    payment_information_id: str
    amount: Decimal | None = None
    currency: str | None = None
    order_id: str | None = None  # None: refused when the file was split
    status: str  # the order's status, or REFUSED
    reason: str | None = None  # the ISO 20022 status reason code of a rejection
    detail: str | None = None


class FileSummary(FileReceipt):
    """A file with each transaction's state and the counts of their statuses."""

    group_status: str  # as the status report's GrpSts: ACTC, PART, ACSC or RJCT
    transactions_by_status: dict[str, int]
    transactions: list[TransactionState]


class FileList(CamelModel):
    files: list[FileReceipt]


@dataclass(frozen=True)
class FileState:
    """A file with where each transaction's order stands now (None: it has no order, or
    its order is not to be found)."""

    file: PaymentFile
    transactions: Sequence[tuple[FileTransaction, FileOutcome | None]]

    @staticmethod
    def outcome(transaction: FileTransaction, standing: FileOutcome | None) -> TransactionOutcome:
        status, reason, text = _status(transaction, standing)
        return TransactionOutcome(
            transaction.end_to_end_id, transaction.instruction_id, status, reason, text
        )

    def counts(self) -> dict[str, int]:
        """How many transactions are in each status: their orders', or REFUSED."""
        counted = Counter(_shown(t, standing) for t, standing in self.transactions)
        return dict(sorted(counted.items()))

    def group_status(self) -> str:
        return group_status(self.outcome(t, o).status for t, o in self.transactions)


def _shown(transaction: FileTransaction, standing: FileOutcome | None) -> str:
    if transaction.order_id is None:
        return REFUSED_STATUS
    return OrderStatus.PENDING.value if standing is None else standing.status.value


def _status(
    transaction: FileTransaction, standing: FileOutcome | None
) -> tuple[str, str | None, str | None]:
    if transaction.order_id is None:
        return REFUSED, transaction.reason, transaction.detail
    if standing is None:
        return PENDING, None, None
    if standing.status is OrderStatus.EXECUTED:
        return ACCEPTED, None, None
    if standing.status is OrderStatus.FAILED:
        return REFUSED, FAILED_REASON, standing.failure_reason
    if standing.status is OrderStatus.CANCELLED:
        return REFUSED, CANCELLED_REASON, "cancelled by its client"
    return PENDING, None, None


def _state(transaction: FileTransaction, standing: FileOutcome | None) -> TransactionState:
    _, reason, detail = _status(transaction, standing)
    return TransactionState(
        end_to_end_id=transaction.end_to_end_id,
        payment_information_id=transaction.block,
        amount=transaction.amount,
        currency=transaction.currency,
        order_id=transaction.order_id,
        status=_shown(transaction, standing),
        reason=reason,
        detail=detail,
    )


class FileReports:
    def __init__(self, files: FileStore, orders: OrderStore, clock: Clock) -> None:
        self.files = files
        self.orders = orders
        self.clock = clock

    async def state(self, file: PaymentFile) -> FileState:
        """The file's transactions, each with where its order stands now: the outcomes
        kept of those that ended, and the orders of the others read (a bounded number at
        once), whose outcome is kept once they ended too."""
        transactions = await self.files.transactions(file.id)
        kept = {outcome.index: outcome for outcome in await self.files.outcomes(file.id)}
        to_read = [t for t in transactions if t.order_id is not None and t.index not in kept]
        gate = asyncio.Semaphore(READS_AT_ONCE)

        async def read(transaction: FileTransaction) -> FileOutcome | None:
            assert transaction.order_id is not None
            async with gate:
                order = await self.orders.get(transaction.order_id)
            return None if order is None else FileOutcome.of(transaction, order)

        read_now = await asyncio.gather(*map(read, to_read))
        ended = [outcome for outcome in read_now if outcome and outcome.status.terminal]
        if ended:
            await self.files.settle(ended)
        standing = kept | {outcome.index: outcome for outcome in read_now if outcome}
        return FileState(file, [(t, standing.get(t.index)) for t in transactions])

    @staticmethod
    def summary(state: FileState) -> FileSummary:
        """The file as the API shows it."""
        return FileSummary(
            **FileReceipt.of(state.file).model_dump(),
            group_status=state.group_status(),
            transactions_by_status=state.counts(),
            transactions=[_state(t, standing) for t, standing in state.transactions],
        )

    def status_report(self, state: FileState) -> bytes:
        """The pain.002 of the file, as its orders stand now."""
        file = state.file
        header = GroupHeader(
            message=file.message,
            message_id=file.message_id,
            created_at=file.created_at,
            number_of_transactions=file.number_of_transactions,
            control_sum=file.control_sum,
            initiating_party=file.initiating_party,
        )
        by_block: dict[str, list[TransactionOutcome]] = {block.id: [] for block in file.blocks}
        for transaction, standing in state.transactions:
            by_block[transaction.block].append(state.outcome(transaction, standing))
        blocks = [
            BlockOutcome(
                PaymentBlock(
                    id=block.id,
                    debtor_account=block.debtor_account,
                    debtor_name=None,
                    requested_execution_date=block.requested_execution_date,
                    number_of_transactions=block.number_of_transactions,
                    control_sum=block.control_sum,
                ),
                by_block[block.id],
            )
            for block in file.blocks
        ]
        now = self.clock()
        report_id = f"{file.id[:8]}-{now:%Y%m%d%H%M%S}"
        return status_report(header, blocks, report_id=report_id, created_at=now)
