"""The HTTP face of payment files: what the file routes answer (``payments.files``).

``POST /payment-files`` answers 202 with the file's id at its ``Location`` (200 with
the earlier file when the client sends the same MsgId with the same bytes again); a
file refused whole answers a problem whose detail starts with its ISO 20022 reason
code and whose ``errors`` name the line and the element at fault: 400 for one that is
no valid pain.001 (FF01), 422 for counts or sums that do not add up (AM18, AM10) or a
PmtInfId given twice (DU02), 409 for a MsgId the client used for another file (DU01).
Each error's ``field`` is the element at fault, or ``Document`` for the file as a whole.
"""

from __future__ import annotations

from components.http import FieldError, ProblemError, answer_problem
from components.http.headers import RESPONSE_HEADER_PREFIX, path_param
from endpoints import headers
from endpoints.exchange import Exchange
from payments.domain.files import FileStore, MessageIdTaken, PaymentFile
from payments.files.intake import FILE, FILE_CREATED
from payments.files.report import FileList, FileReceipt, FileReports
from payments.iso20022.pain001 import FileRefused
from payments.lifecycle.keys import CLIENT_ID

# The path a client sends and reads its payment files at.
FILES_PATH = "/payment-files"
XML = "application/xml"
_LIST_LIMIT = 100


def received(exchange: Exchange) -> None:
    """202 for a file received now, 200 for the MsgId's earlier file; either at its
    Location, with what it states."""
    file: PaymentFile = exchange.properties[FILE]
    exchange.headers[headers.HTTP_STATUS] = 202 if exchange.properties[FILE_CREATED] else 200
    exchange.headers[RESPONSE_HEADER_PREFIX + "Location"] = f"{FILES_PATH}/{file.id}"
    exchange.body = FileReceipt.of(file)


def refused(exchange: Exchange) -> None:
    """The problem a file refused whole answers (its ``onException`` handles it)."""
    error = exchange.caught_exception
    if isinstance(error, MessageIdTaken):
        detail = (
            f"DU01: MsgId {error.existing.message_id} was sent before with other content "
            f"(file {error.existing.id})"
        )
        problem = ProblemError(
            409,
            detail,
            title="Duplicate message id",
            errors=[FieldError("GrpHdr/MsgId", "already names another file of yours")],
        )
    else:
        assert isinstance(error, FileRefused), error
        place = f"line {error.line}: " if error.line else ""
        problem = ProblemError(
            400 if error.reason == "FF01" else 422,
            f"{error.reason}: {error}",
            title="Payment file refused",
            # The element at fault, else the document's root (a count, a sum, a DTD).
            errors=[FieldError(error.element or "Document", f"{place}{error.detail}")],
        )
    answer_problem(exchange, problem)


class FileQueries:
    """The read side: a client reads only the files it sent (another's answers 404)."""

    def __init__(self, files: FileStore, reports: FileReports) -> None:
        self.files = files
        self.reports = reports

    async def _file(self, exchange: Exchange) -> PaymentFile:
        file_id = str(exchange.headers.get(path_param("id"), ""))
        file = await self.files.get(file_id, client_id=exchange.headers[CLIENT_ID])
        if file is None:
            raise ProblemError(404, f"no payment file {file_id}", title="Unknown payment file")
        return file

    async def get(self, exchange: Exchange) -> None:
        """The file, with each transaction and the counts of their statuses."""
        state = await self.reports.state(await self._file(exchange))
        exchange.body = self.reports.summary(state)

    async def status_report(self, exchange: Exchange) -> None:
        """The file's pain.002, as its orders stand now."""
        state = await self.reports.state(await self._file(exchange))
        exchange.body = self.reports.status_report(state)
        exchange.headers[RESPONSE_HEADER_PREFIX + "Content-Type"] = XML

    async def list_files(self, exchange: Exchange) -> None:
        """The client's newest files, without their transactions."""
        files = await self.files.list(exchange.headers[CLIENT_ID], _LIST_LIMIT)
        exchange.body = FileList(files=[FileReceipt.of(file) for file in files])
