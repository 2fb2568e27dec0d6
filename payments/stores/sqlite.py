"""The embedded order store, for runs without MongoDB: SQLite from the standard library.

A row per order holds its JSON document (money as exact text, never float) beside
the columns that are indexed or compared: id, the client, its idempotency key scoped to
it (``client:key``, unique; SQLite lets any number of rows have none), status and the
times in epoch milliseconds. Each write
is atomic: an insert guarded by the unique key, or a read and an update of one order
in one IMMEDIATE transaction (SQLite's write lock, so the compare-and-set holds even
for several processes on one file). One connection lives in one worker thread, so the
event loop never blocks on the disk.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from payments.model import ANONYMOUS_CLIENT, OrderStatus, PaymentOrder, check_transition
from payments.store import OrderIdTaken, Step, StoreUnavailable
from payments.stores.common import (
    Change,
    each_step,
    event_claimed,
    event_published,
    owes_command,
    page_size,
    replay,
    scoped_key,
    stepped,
    storable,
    store_time,
    to_document,
    transitioned,
)

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]

MEMORY = ":memory:"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    document TEXT NOT NULL,
    client_id TEXT NOT NULL DEFAULT '{ANONYMOUS_CLIENT}'
);
CREATE INDEX IF NOT EXISTS orders_status_created ON orders (status, created_at);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at);
"""
# The orders that owe their execution command (``owes_command``); a file written before
# the table existed gets it filled from the mark its orders then carried.
_OWED = "owed_commands"
_CREATE_OWED = f"CREATE TABLE {_OWED} (order_id TEXT PRIMARY KEY)"
_EXECUTING = OrderStatus.EXECUTING.value
_FILL_OWED = (
    f"INSERT INTO {_OWED} SELECT id FROM orders WHERE status = '{_EXECUTING}'"
    " AND json_extract(document, '$.commandPublishedAt') IS NULL"
)
# A file written before orders had clients gets the column (its orders: anonymous's).
_ADD_CLIENT = f"ALTER TABLE orders ADD COLUMN client_id TEXT NOT NULL DEFAULT '{ANONYMOUS_CLIENT}'"
_CLIENT_INDEX = "CREATE INDEX IF NOT EXISTS orders_client_created ON orders (client_id, created_at)"
_COLUMNS = "id, idempotency_key, status, created_at, updated_at, document, client_id"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _millis(at: datetime) -> int:
    return (store_time(at) - _EPOCH) // timedelta(milliseconds=1)


def _document(order: PaymentOrder) -> str:
    return json.dumps(to_document(order, "json"), separators=(",", ":"))


def _orders(rows: list[tuple[str]]) -> list[PaymentOrder]:
    return [PaymentOrder.model_validate_json(document) for (document,) in rows]


def _owned_by(client_id: str | None) -> tuple[str, tuple[str, ...]]:
    """The condition (to append to a WHERE) of one client's orders; None: anyone's."""
    return ("", ()) if client_id is None else (" AND client_id = ?", (client_id,))


def _connect(path: str) -> sqlite3.Connection:
    # isolation_level=None: autocommit, so each statement is its own transaction.
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=5000")
    connection.executescript(_SCHEMA)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(orders)")}
    if "client_id" not in columns:
        connection.execute(_ADD_CLIENT)
    connection.execute(_CLIENT_INDEX)
    connection.execute("BEGIN IMMEDIATE")  # one process of several starting at once fills it
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if _OWED not in tables:
        connection.execute(_CREATE_OWED)
        connection.execute(_FILL_OWED)
    connection.execute("COMMIT")
    return connection


class SqliteOrderStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    async def start(self) -> None:
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-orders")
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                executor, _connect, self.path
            )
        except sqlite3.Error as error:
            executor.shutdown(wait=False)
            raise StoreUnavailable(
                f"cannot open the order database {self.path}: {error}"
            ) from error
        self._executor, self._connection = executor, connection

    async def stop(self) -> None:
        executor, connection = self._executor, self._connection
        self._executor = self._connection = None
        if executor is not None and connection is not None:
            await asyncio.get_running_loop().run_in_executor(executor, connection.close)
            executor.shutdown(wait=False)

    async def _run(self, work: Work[T]) -> T:
        executor, connection = self._executor, self._connection
        if executor is None or connection is None:
            raise StoreUnavailable("the SQLite order store is not started")
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, work, connection)
        except sqlite3.OperationalError as error:  # locked past the busy timeout, disk I/O
            raise StoreUnavailable(f"the order database {self.path} failed: {error}") from error

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement's rows; fetching them all ends it, and with it its transaction."""
        return await self._run(lambda db: db.execute(sql, params).fetchall())

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    async def create(self, order: PaymentOrder) -> tuple[PaymentOrder, bool]:
        order = storable(order)
        key = scoped_key(order)
        row = (
            order.id,
            key,
            order.status.value,
            _millis(order.created_at),
            _millis(order.updated_at),
            _document(order),
            order.client_id,
        )

        def insert(db: sqlite3.Connection) -> tuple[PaymentOrder, bool]:
            try:
                db.execute(f"INSERT INTO orders ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            except sqlite3.IntegrityError:
                holder = db.execute(
                    "SELECT document FROM orders WHERE idempotency_key = ?", (key,)
                ).fetchall()
                if not holder:
                    raise OrderIdTaken(order.id) from None
                return replay(order, _orders(holder)[0])
            return order, True

        return await self._run(insert)

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        where, params = _owned_by(client_id)
        rows = await self._fetch(
            f"SELECT document FROM orders WHERE id = ?{where}", (order_id, *params)
        )
        return _orders(rows)[0] if rows else None

    async def peek(self, order_id: str) -> PaymentOrder | None:
        return await self.get(order_id)  # one row, always the newest

    async def transition(
        self,
        order_id: str,
        expected: OrderStatus,
        target: OrderStatus,
        at: datetime,
        reason: str | None = None,
        attempts: int | None = None,
        gateway_reference: str | None = None,
    ) -> PaymentOrder | None:
        check_transition(expected, target)
        return await self._modify(
            order_id,
            lambda order: transitioned(
                order, expected, target, at, reason, attempts, gateway_reference
            ),
        )

    async def transition_through(
        self, order_id: str, steps: Sequence[Step], at: datetime
    ) -> Sequence[PaymentOrder]:
        return await each_step(steps, lambda step: self._modify(order_id, stepped(step, at)))

    async def mark_command_published(self, order_id: str) -> None:
        await self._fetch(f"DELETE FROM {_OWED} WHERE order_id = ?", (order_id,))

    async def mark_event_published(self, order_id: str, at: datetime) -> None:
        await self._modify(order_id, lambda order: event_published(order, at))

    async def _modify(self, order_id: str, change: Change) -> PaymentOrder | None:
        """Read, change and write the order in one IMMEDIATE transaction: it takes the
        write lock first, so no one (no other process either) changes the order between."""

        def work(db: sqlite3.Connection) -> PaymentOrder | None:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute("SELECT document FROM orders WHERE id = ?", (order_id,))
                found = _orders(rows.fetchall())
                changed = change(found[0]) if found else None
                if changed is not None:
                    if owes_command(found[0], changed):
                        db.execute(f"INSERT OR IGNORE INTO {_OWED} VALUES (?)", (order_id,))
                    db.execute(
                        "UPDATE orders SET status = ?, updated_at = ?, document = ? WHERE id = ?",
                        (
                            changed.status.value,
                            _millis(changed.updated_at),
                            _document(changed),
                            order_id,
                        ),
                    )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return changed

        return await self._run(work)

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        claimed = await self._modify(order_id, lambda order: event_claimed(order, at, lease))
        return claimed is not None

    async def list(
        self,
        status: OrderStatus | None,
        limit: int,
        after: str | None,
        *,
        client_id: str | None = None,
    ) -> Sequence[PaymentOrder]:
        owner, owner_params = _owned_by(client_id)
        where, params = f"1{owner}", [*owner_params]
        if status is not None:
            where += " AND status = ?"
            params.append(status.value)
        sql = "SELECT document FROM orders WHERE {} ORDER BY created_at DESC, id DESC LIMIT ?"
        size = page_size(limit)

        def page(db: sqlite3.Connection) -> list[tuple[str]]:
            if after is None:
                return db.execute(sql.format(where), (*params, size)).fetchall()
            last = db.execute(
                f"SELECT created_at FROM orders WHERE id = ?{owner}", (after, *owner_params)
            ).fetchall()
            if not last:
                return []
            (created,) = last[0]
            query = sql.format(f"{where} AND (created_at < ? OR (created_at = ? AND id < ?))")
            return db.execute(query, (*params, created, created, after, size)).fetchall()

        return _orders(await self._run(page))

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        rows = await self._fetch("SELECT status, COUNT(*) FROM orders GROUP BY status")
        return {OrderStatus(status): count for status, count in rows}

    async def stale(
        self,
        statuses: Sequence[OrderStatus],
        updated_before: datetime,
        limit: int,
        *,
        unpublished: bool = False,
    ) -> Sequence[PaymentOrder]:
        marks = ", ".join("?" * len(statuses))
        never_published = (
            f" AND (status <> '{_EXECUTING}' OR id IN (SELECT order_id FROM {_OWED}))"
            if unpublished
            else ""
        )
        sql = (
            f"SELECT document FROM orders WHERE status IN ({marks}) AND updated_at < ?"
            f"{never_published} ORDER BY updated_at, id LIMIT ?"
        )
        params = (*(status.value for status in statuses), _millis(updated_before), page_size(limit))
        return _orders(await self._fetch(sql, params))
