"""A pain.001 becomes payment orders: the processors of the file routes
(``config/routes/ingest/files.yaml``).

``receive`` checks the whole file (``payments.iso20022.pain001.check``: its schema, its
counts and sums) and registers it, once per client and MsgId. ``transfers`` reads it
again, one credit transfer at a time, for a streaming split; each becomes the request
of an order (``as_order``) that the orders' own steps validate and store, idempotent by
client, MsgId, PmtInfId and EndToEndId, so a file split again after a crash makes no
order twice. A transfer that cannot be an order is refused alone, with the ISO 20022
reason code of what is wrong (``reason_for``), and what became of each is recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from endpoints.exchange import Exchange, utcnow
from payments.domain.files import FileBlock, FileStore, FileTransaction, PaymentFile
from payments.domain.model import PaymentOrder
from payments.domain.rejections import FieldProblem, InvalidOrder, Rejected
from payments.files.kept import KeptFiles
from payments.iso20022.pain001 import CreditTransfer, PaymentBlock, check, read
from payments.lifecycle.keys import CLIENT_ID, IDEMPOTENCY_KEY
from payments.lifecycle.orders import Clock

logger = logging.getLogger(__name__)

# Properties the file routes keep on an exchange.
FILE = "paymentFile"  # the PaymentFile received (or sent before with its MsgId)
FILE_CREATED = "paymentFileCreated"  # True: received now; False: its MsgId's earlier file
FILE_TO_SPLIT = "paymentFileToSplit"  # True until every transfer of it is recorded
TRANSFER = "paymentFileTransfer"  # the FileTransfer a split part carries

# The idempotency key of a transfer's order: unique per client, as the file is per MsgId.
KEY_PREFIX = "pain.001"
# ISO 20022 ExternalStatusReason1Code of a transfer refused for a field whose rule names
# none: one the request's shape refuses (pydantic's) before any rule runs.
_REASONS = {
    "debtorAccount": "AC01",  # IncorrectAccountNumber
    "creditorAccount": "AC01",
    "amount": "AM12",  # InvalidAmount
    "currency": "AM03",  # NotAllowedCurrency
    "requestedExecutionDate": "DT01",  # InvalidDate
    "endToEndId": "FF01",  # InvalidFileFormat: what the XSD let through but we cannot keep
    "remittanceInformation": "FF01",
}
DUPLICATE = "AM05"  # Duplication: an EndToEndId repeated in its block
UNSPECIFIED = "NARR"  # Narrative: the text says why


@dataclass(frozen=True)
class FileTransfer:
    """One credit transfer of a file, with its place and its block."""

    file: PaymentFile
    index: int
    block: PaymentBlock
    transfer: CreditTransfer
    repeated: bool  # its EndToEndId came before in its block


def reason_for(refusal: Rejected) -> tuple[str, str]:
    """The ISO 20022 status reason code of a transfer's refusal (its first field's: the
    rule's own, else the field's), and its text."""
    text = "; ".join(f"{p.field}: {p.detail}" for p in refusal.problems) or refusal.detail
    if not refusal.problems:
        return UNSPECIFIED, text
    first = refusal.problems[0]
    return first.reason or _REASONS.get(first.field, UNSPECIFIED), text


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


class FileIntake:
    def __init__(self, files: FileStore, kept: KeptFiles, clock: Clock = utcnow) -> None:
        self.files = files
        self.clock = clock
        self.kept = kept
        # The files of this process queued for their split or being split.
        self._splitting: set[str] = set()

    async def receive(self, exchange: Exchange) -> None:
        """The body, a spooled pain.001 (``Path``), checked whole and registered for
        the client ``CLIENT_ID`` names (FileRefused or MessageIdTaken otherwise), then
        kept until it is split; the body becomes the file. ``FILE_TO_SPLIT``: it is
        not split to its end, nor queued for its split here."""
        path = exchange.body
        if not isinstance(path, Path):
            raise TypeError(f"a payment file comes as a spooled Path, not {type(path)}")
        checked = await asyncio.to_thread(check, path)  # the parser holds the loop else
        header = checked.header
        file = PaymentFile(
            id=str(uuid.uuid4()),
            client_id=exchange.headers[CLIENT_ID],
            message=header.message,
            message_id=header.message_id,
            digest=await asyncio.to_thread(_digest, path),
            received_at=self.clock(),
            created_at=header.created_at,
            number_of_transactions=header.number_of_transactions,
            control_sum=header.control_sum,
            initiating_party=header.initiating_party,
            blocks=tuple(
                FileBlock(
                    id=block.id,
                    debtor_account=block.debtor_account,
                    requested_execution_date=block.requested_execution_date,
                    number_of_transactions=block.number_of_transactions,
                    control_sum=block.control_sum,
                )
                for block in checked.blocks
            ),
        )
        registered = await self.files.register(file)
        file = registered.file
        to_split = not file.split_done and file.id not in self._splitting
        # Sent again while its split is cut short: these bytes are the same.
        if to_split and (registered.created or not self.kept.path_of(file.id).exists()):
            await asyncio.to_thread(self.kept.keep, path, file.id)
        if to_split:
            self._splitting.add(file.id)
        exchange.properties[FILE] = exchange.body = file
        exchange.properties[FILE_CREATED] = registered.created
        exchange.properties[FILE_TO_SPLIT] = to_split

    async def unsplit(self, exchange: Exchange) -> None:
        """What a crash or an outage cut short: the body becomes the files kept whose
        split is not done and not queued here; those whose split is done go."""
        found: list[PaymentFile] = []
        for file_id in await asyncio.to_thread(self.kept.ids):
            if file_id in self._splitting:
                continue
            file = await self.files.get(file_id)
            if file is None or file.split_done:
                await asyncio.to_thread(self.kept.drop, file_id)
                continue
            self._splitting.add(file_id)
            found.append(file)
        if found:
            logger.warning("resuming the split of %d payment file(s)", len(found))
        exchange.body = found

    def transfers(self, exchange: Exchange) -> None:
        """The body, a file, becomes its credit transfers (``FileTransfer``), read from
        the file kept as the split takes them."""
        file: PaymentFile = exchange.body
        exchange.properties[FILE] = file
        exchange.headers[CLIENT_ID] = file.client_id  # whose orders they become
        exchange.body = _transfers(self.kept.path_of(file.id), file)

    def as_order(self, exchange: Exchange) -> None:
        """The transfer becomes the request of its order, keyed for idempotency by its
        file's MsgId, its block and its EndToEndId; a repeated EndToEndId is refused."""
        transfer: FileTransfer = exchange.body
        exchange.properties[TRANSFER] = transfer
        if transfer.repeated:
            twice = (
                f"EndToEndId {transfer.transfer.end_to_end_id} is in payment information "
                f"{transfer.block.id} twice"
            )
            raise InvalidOrder(twice, [FieldProblem("endToEndId", twice, DUPLICATE)])
        credit = transfer.transfer
        key = (KEY_PREFIX, transfer.file.message_id, transfer.block.id, credit.end_to_end_id)
        exchange.headers[IDEMPOTENCY_KEY] = "/".join(key)
        exchange.body = _request(transfer, self.clock().date())

    def placed(self, exchange: Exchange) -> None:
        """The transfer's order is stored: the body becomes what to record of it."""
        order: PaymentOrder = exchange.body
        exchange.body = _outcome(exchange.properties[TRANSFER], order_id=order.id)

    def refused(self, exchange: Exchange) -> None:
        """The transfer cannot be an order: the body becomes what to record of it."""
        reason, text = reason_for(_as_rejected(exchange.caught_exception))
        exchange.body = _outcome(exchange.properties[TRANSFER], reason=reason, detail=text)

    async def record_all(self, exchanges: Sequence[Exchange]) -> None:
        await self.files.record([exchange.body for exchange in exchanges])

    async def split_done(self, exchange: Exchange) -> None:
        """Every transfer of the file is recorded: its bytes go."""
        file: PaymentFile = exchange.properties[FILE]
        await self.files.mark_split(file.id)
        await asyncio.to_thread(self.kept.drop, file.id)

    def split_left(self, exchange: Exchange) -> None:
        """The split of the file ended here, done or failed (then ``unsplit`` takes
        it up again)."""
        self._splitting.discard(exchange.properties[FILE].id)


def _as_rejected(error: BaseException | None) -> Rejected:
    """A refusal of the order's own checks, or of its request's shape (pydantic's,
    whose first location is the field)."""
    if isinstance(error, Rejected):
        return error
    if isinstance(error, ValidationError):
        problems = [
            FieldProblem(str(problem["loc"][0]) if problem["loc"] else "", problem["msg"])
            for problem in error.errors()
        ]
        return InvalidOrder("the transfer is not a valid payment", problems)
    raise TypeError(f"no refusal of a transfer: {error!r}")


def _transfers(path: Path, file: PaymentFile) -> Iterator[FileTransfer]:
    block: PaymentBlock | None = None
    seen: set[str] = set()
    index = 0
    for part in read(path):
        if isinstance(part, PaymentBlock):
            block, seen = part, set()
        elif isinstance(part, CreditTransfer) and block is not None:
            repeated = part.end_to_end_id in seen
            seen.add(part.end_to_end_id)
            yield FileTransfer(file, index, block, part, repeated)
            index += 1


def _request(transfer: FileTransfer, today: date) -> dict[str, Any]:
    """The create-order request a transfer is. A day before today asks for the payment
    as soon as possible, as banks take a pain.001 sent after its day."""
    credit, block = transfer.transfer, transfer.block
    request: dict[str, Any] = {
        "debtorAccount": block.debtor_account,
        "creditorAccount": credit.creditor_account,
        "amount": credit.amount,
        "currency": credit.currency,
        "endToEndId": credit.end_to_end_id,
    }
    if block.requested_execution_date >= today:
        request["requestedExecutionDate"] = block.requested_execution_date.isoformat()
    if credit.remittance is not None:
        request["remittanceInformation"] = credit.remittance
    return request


def _outcome(transfer: FileTransfer, **outcome: Any) -> FileTransaction:
    credit = transfer.transfer
    return FileTransaction(
        file_id=transfer.file.id,
        index=transfer.index,
        block=transfer.block.id,
        end_to_end_id=credit.end_to_end_id,
        instruction_id=credit.instruction_id,
        amount=credit.amount,
        currency=credit.currency,
        **outcome,
    )
