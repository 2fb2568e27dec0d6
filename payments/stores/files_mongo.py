"""The file store on MongoDB or FerretDB, written by inserts alone, as the order store is:
a file is one document under a unique ``clientMessage`` (its client's MsgId), each of its
transactions one under ``<file id>/<index>`` (a second record of it is refused by its
``_id`` and changes nothing), and a file split to its end one mark under its id. Reads go
by ``_id`` or by an equality on an indexed field, which FerretDB hands to PostgreSQL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from bson.codec_options import CodecOptions
from pymongo import AsyncMongoClient
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from components.mongodb.bulk import insert_unordered
from components.mongodb.client_pool import Collection, Document
from components.mongodb.codecs import DECIMAL_TYPES
from components.mongodb.connect_guard import close_client
from payments.domain.files import (
    FileOutcome,
    FileTransaction,
    MessageIdTaken,
    PaymentFile,
    Registered,
)
from payments.domain.store import StoreUnavailable
from payments.stores.documents import page_size

FILES = "payment_files"
TRANSACTIONS = "payment_file_transactions"
SPLIT = "payment_files_split"  # a file's id: its transactions are all recorded
OUTCOMES = "payment_file_outcomes"
_KEY = "clientMessage"
_CODECS: CodecOptions[Document] = CodecOptions(tz_aware=True, type_registry=DECIMAL_TYPES)


@contextlib.contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except ConnectionFailure as error:
        raise StoreUnavailable(f"MongoDB unreachable: {error}") from error


def _document(file: PaymentFile) -> Document:
    document: Document = file.model_dump(mode="json", by_alias=True, exclude={"split_done"})
    document["_id"] = document.pop("id")
    document[_KEY] = f"{file.client_id}:{file.message_id}"
    return document


def _file(document: Document, split: bool) -> PaymentFile:
    fields: dict[str, Any] = {k: v for k, v in document.items() if k not in ("_id", _KEY)}
    return PaymentFile.model_validate({**fields, "id": document["_id"], "splitDone": split})


class MongoFileStore:
    def __init__(self, uri: str, database: str = "payments") -> None:
        self._client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri, serverSelectionTimeoutMS=2000, socketTimeoutMS=10_000
        )
        db = self._client.get_database(database, codec_options=_CODECS)
        self.files: Collection = db.get_collection(FILES)
        self.transfers: Collection = db.get_collection(TRANSACTIONS)
        self.split: Collection = db.get_collection(SPLIT)
        self.ended: Collection = db.get_collection(OUTCOMES)

    async def start(self) -> None:
        with _reachable():
            await self.files.create_index(_KEY, unique=True, name=f"{_KEY}_unique")
            await self.files.create_index("clientId")
            await self.transfers.create_index("fileId")
            await self.ended.create_index("fileId")

    async def stop(self) -> None:
        await close_client(self._client)

    async def register(self, file: PaymentFile) -> Registered:
        with _reachable():
            try:
                await self.files.insert_one(_document(file))
                return Registered(file, True)
            except DuplicateKeyError:
                holder = await self.files.find_one({_KEY: f"{file.client_id}:{file.message_id}"})
        if holder is None:  # the id, not the MsgId: ids are generated, a bug
            raise RuntimeError(f"file id {file.id} is taken")
        existing = await self._with_mark(holder)
        if existing.digest != file.digest:
            raise MessageIdTaken(existing)
        return Registered(existing, False)

    async def _with_mark(self, document: Document) -> PaymentFile:
        with _reachable():
            split = await self.split.find_one({"_id": document["_id"]})
        return _file(document, split is not None)

    async def get(self, file_id: str, *, client_id: str | None = None) -> PaymentFile | None:
        with _reachable():
            document = await self.files.find_one({"_id": file_id})
        if document is None or (client_id is not None and document["clientId"] != client_id):
            return None
        return await self._with_mark(document)

    async def record(self, transactions: Sequence[FileTransaction]) -> None:
        await self._insert(self.transfers, transactions)

    async def settle(self, outcomes: Sequence[FileOutcome]) -> None:
        await self._insert(self.ended, outcomes)

    @staticmethod
    async def _insert(
        collection: Collection, items: Sequence[FileTransaction | FileOutcome]
    ) -> None:
        """Each item under ``<file id>/<index>``: a repeat is refused by its ``_id``."""
        documents = [
            {"_id": f"{item.file_id}/{item.index}", **item.model_dump(mode="json", by_alias=True)}
            for item in items
        ]
        with _reachable():
            await insert_unordered(collection, documents)

    async def outcomes(self, file_id: str) -> Sequence[FileOutcome]:
        with _reachable():
            documents = await self.ended.find({"fileId": file_id}).to_list()
        return [FileOutcome.model_validate(document) for document in documents]

    async def mark_split(self, file_id: str) -> None:
        with _reachable(), contextlib.suppress(DuplicateKeyError):
            await self.split.insert_one({"_id": file_id})

    async def transactions(self, file_id: str) -> Sequence[FileTransaction]:
        with _reachable():
            documents = await self.transfers.find({"fileId": file_id}).to_list()
        found = [FileTransaction.model_validate(document) for document in documents]
        return sorted(found, key=lambda t: t.index)  # FerretDB would sort them all itself

    async def list(self, client_id: str | None, limit: int) -> Sequence[PaymentFile]:
        query = {} if client_id is None else {"clientId": client_id}
        with _reachable():
            documents = await self.files.find(query).to_list()
        documents.sort(key=lambda d: (d["receivedAt"], d["_id"]), reverse=True)
        return [await self._with_mark(d) for d in documents[: page_size(limit)]]
