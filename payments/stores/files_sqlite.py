"""The embedded file store: the files and their transactions in SQLite, beside the orders.

A row per file holds its JSON document beside the columns that are unique or compared:
its client's MsgId (``client:MsgId``, unique) and its time of arrival; a row per
transaction is keyed by its file and its place in it, so recording one twice is one
``INSERT OR IGNORE``. One connection lives in one worker thread, as the order store's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from payments.domain.files import (
    FileOutcome,
    FileTransaction,
    MessageIdTaken,
    PaymentFile,
    Registered,
)
from payments.stores.documents import page_size
from payments.stores.sqlite_schema import millis
from payments.stores.sqlite_thread import SqliteThread

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_files (
    id TEXT PRIMARY KEY,
    client_message TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    split_done INTEGER NOT NULL DEFAULT 0,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payment_files_received ON payment_files (received_at);
CREATE TABLE IF NOT EXISTS payment_file_transactions (
    file_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (file_id, idx)
);
CREATE TABLE IF NOT EXISTS payment_file_outcomes (
    file_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (file_id, idx)
);
"""
_FILE = "SELECT document, split_done FROM payment_files"


def _connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=5000")
    connection.executescript(_SCHEMA)
    return connection


def _file(row: Sequence[Any]) -> PaymentFile:
    return PaymentFile.model_validate_json(row[0]).model_copy(update={"split_done": bool(row[1])})


class SqliteFileStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = SqliteThread(self.path, _connect, "file")

    async def start(self) -> None:
        await self._db.open()

    async def stop(self) -> None:
        await self._db.close()

    async def register(self, file: PaymentFile) -> Registered:
        def insert(db: sqlite3.Connection) -> Registered:
            try:
                db.execute(
                    "INSERT INTO payment_files"
                    " (id, client_message, client_id, received_at, document)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        file.id,
                        f"{file.client_id}:{file.message_id}",
                        file.client_id,
                        millis(file.received_at),
                        file.model_dump_json(),
                    ),
                ).close()
                return Registered(file, True)
            except sqlite3.IntegrityError:
                rows = db.execute(
                    f"{_FILE} WHERE client_message = ?", (f"{file.client_id}:{file.message_id}",)
                ).fetchall()
                if not rows:  # the id, not the MsgId: ids are generated, a bug
                    raise
                return Registered(_file(rows[0]), False)

        registered = await self._db.run(insert)
        if not registered.created and registered.file.digest != file.digest:
            raise MessageIdTaken(registered.file)
        return registered

    async def get(self, file_id: str, *, client_id: str | None = None) -> PaymentFile | None:
        rows = await self._db.fetch(f"{_FILE} WHERE id = ?", (file_id,))
        found = _file(rows[0]) if rows else None
        if found is None or (client_id is not None and found.client_id != client_id):
            return None
        return found

    async def record(self, transactions: Sequence[FileTransaction]) -> None:
        await self._insert("payment_file_transactions", transactions)

    async def settle(self, outcomes: Sequence[FileOutcome]) -> None:
        await self._insert("payment_file_outcomes", outcomes)

    async def _insert(self, table: str, items: Sequence[FileTransaction | FileOutcome]) -> None:
        """Each item under its file and index, unless one is there already."""
        rows = [(item.file_id, item.index, item.model_dump_json()) for item in items]
        sql = f"INSERT OR IGNORE INTO {table} VALUES (?, ?, ?)"
        await self._db.run(lambda db: db.executemany(sql, rows).close())

    async def outcomes(self, file_id: str) -> Sequence[FileOutcome]:
        rows = await self._db.fetch(
            "SELECT document FROM payment_file_outcomes WHERE file_id = ?", (file_id,)
        )
        return [FileOutcome.model_validate_json(row[0]) for row in rows]

    async def mark_split(self, file_id: str) -> None:
        await self._db.run(
            lambda db: db.execute(
                "UPDATE payment_files SET split_done = 1 WHERE id = ?", (file_id,)
            ).close()
        )

    async def transactions(self, file_id: str) -> Sequence[FileTransaction]:
        rows = await self._db.fetch(
            "SELECT document FROM payment_file_transactions WHERE file_id = ? ORDER BY idx",
            (file_id,),
        )
        return [FileTransaction.model_validate_json(row[0]) for row in rows]

    async def list(self, client_id: str | None, limit: int) -> Sequence[PaymentFile]:
        where, params = ("", ()) if client_id is None else (" WHERE client_id = ?", (client_id,))
        sql = f"{_FILE}{where} ORDER BY received_at DESC, id LIMIT ?"
        return [_file(row) for row in await self._db.fetch(sql, (*params, page_size(limit)))]
