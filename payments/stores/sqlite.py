"""The embedded order store, for runs without MongoDB: SQLite from the standard library.

A row per order holds its JSON document (money as exact text, never float) beside
the columns that are indexed or compared: id, the client, its idempotency key scoped to
it (``client:key``, unique; SQLite lets any number of rows have none), status and the
times in epoch milliseconds; the document holds the order's version. Each batch is one
IMMEDIATE transaction (SQLite's write lock, so the compare-and-set on the version holds
even for several processes on one file): inserts guarded by the unique key, or reads
and updates of many orders at once. One connection lives in one worker thread, so the
event loop never blocks on the disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from payments.domain.model import TERMINAL, OrderStatus, PaymentOrder
from payments.domain.store import Created, Move, OrderIdTaken
from payments.domain.transitions import checked, claimable, moved, store_time
from payments.stores.documents import Change, page_size, replay, storable
from payments.stores.sqlite_schema import (
    CLAIMS,
    COLUMNS,
    COUNT,
    COUNTS,
    DUE,
    ENDED,
    OWED,
    PUBLISHED,
    READ,
    connect,
    document_of,
    marked,
    millis,
    orders_of,
    row_of,
)
from payments.stores.sqlite_thread import SqliteThread, Work

T = TypeVar("T")


def _marks(count: int) -> str:
    return ", ".join("?" * count)


# The note of an order in none of these, or of none, is dropped by ``due``.
_GONE = {None, *(status.value for status in TERMINAL)}


def _transaction(work: Work[T]) -> Work[T]:
    """``work`` in one IMMEDIATE transaction: it takes the write lock first, so no one
    (no other process either) changes an order between its read and its write."""

    def transaction(db: sqlite3.Connection) -> T:
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    return transaction


def _many(sql: str, rows: Sequence[Sequence[Any]]) -> Work[None]:
    """``sql`` for each row. Its cursor is closed here, in the store's thread: left to
    the garbage collector, it would be finalised in another thread, beside the store's
    next statement, and SQLite calls that misuse."""

    def many(db: sqlite3.Connection) -> None:
        db.executemany(sql, rows).close()

    return many


def _count(db: sqlite3.Connection, client_id: str, status: OrderStatus, change: int) -> None:
    db.execute(COUNT, (client_id, status.value, change))


def _update(db: sqlite3.Connection, changed: PaymentOrder) -> None:
    db.execute(
        "UPDATE orders SET status = ?, updated_at = ?, document = ? WHERE id = ?",
        (changed.status.value, millis(changed.updated_at), document_of(changed), changed.id),
    )


def _current(db: sqlite3.Connection, order_ids: Sequence[str]) -> dict[str, PaymentOrder]:
    rows = db.execute(f"{READ} WHERE id IN ({_marks(len(order_ids))})", order_ids)
    return {order.id: order for order in marked(rows.fetchall())}


def _owned_by(client_id: str | None) -> tuple[str, tuple[str, ...]]:
    """The condition (to append to a WHERE) of one client's orders; None: anyone's."""
    return ("", ()) if client_id is None else (" AND client_id = ?", (client_id,))


class SqliteOrderStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = SqliteThread(self.path, connect, "order")

    async def start(self) -> None:
        await self._db.open()

    async def stop(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        await self._db.fetch("SELECT 1")

    async def create_all(self, orders: Sequence[PaymentOrder]) -> Sequence[Created]:
        orders = [storable(order) for order in orders]
        rows = [row_of(order) for order in orders]

        def insert_all(db: sqlite3.Connection) -> list[Created]:
            results: list[Created] = []
            for order, row in zip(orders, rows, strict=True):
                try:
                    db.execute(f"INSERT INTO orders ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                except sqlite3.IntegrityError:
                    holder = db.execute(
                        "SELECT document FROM orders WHERE idempotency_key = ?", (row[1],)
                    ).fetchall()
                    if not holder:
                        raise OrderIdTaken(order.id) from None
                    results.append(replay(order, orders_of(holder)[0]))
                    continue
                db.execute(f"INSERT INTO {OWED} VALUES (?)", (order.id,))
                _count(db, order.client_id, order.status, 1)
                results.append((order, True))
            return results

        return await self._db.run(_transaction(insert_all))

    async def get(self, order_id: str, *, client_id: str | None = None) -> PaymentOrder | None:
        where, params = _owned_by(client_id)
        rows = await self._db.fetch(f"{READ} WHERE id = ?{where}", (order_id, *params))
        return marked(rows)[0] if rows else None

    async def move_all(self, moves: Sequence[Move]) -> Sequence[bool]:
        checked(moves)

        def move_each(db: sqlite3.Connection) -> list[bool]:
            current = _current(db, [move.order_id for move in moves])
            done = []
            for move in moves:
                order = current.get(move.order_id)
                after = None if order is None else moved(order, move)
                if order is not None and after is not None:
                    _update(db, after)
                    _count(db, order.client_id, order.status, -1)
                    _count(db, order.client_id, after.status, 1)
                    current[move.order_id] = after
                done.append(after is not None)
            return done

        return await self._db.run(_transaction(move_each))

    async def claim_payments(self, order_ids: Sequence[str]) -> Sequence[bool]:
        def claim_each(db: sqlite3.Connection) -> list[bool]:
            insert = f"INSERT OR IGNORE INTO {CLAIMS} VALUES (?)"
            return [db.execute(insert, (order_id,)).rowcount == 1 for order_id in order_ids]

        return await self._db.run(_transaction(claim_each))

    async def settle(self, order_ids: Sequence[str]) -> None:
        if order_ids:
            marks = _marks(len(order_ids))
            await self._db.fetch(f"DELETE FROM {OWED} WHERE order_id IN ({marks})", order_ids)

    async def owe(self, order_ids: Sequence[str], at: datetime) -> None:
        rows = [(order_id,) for order_id in order_ids]
        note = f"INSERT OR IGNORE INTO {OWED} VALUES (?)"
        await self._db.run(_transaction(_many(note, rows)))

    async def owing(self, before: datetime, limit: int) -> Sequence[PaymentOrder]:
        def owing(db: sqlite3.Connection) -> list[tuple[str]]:
            db.execute(  # as owes_message: ended, and not CANCELLED with its event owed
                f"DELETE FROM {OWED} WHERE order_id IN (SELECT id FROM orders"
                f" WHERE status IN ({ENDED}) AND (status != '{OrderStatus.CANCELLED}'"
                f" OR id IN (SELECT order_id FROM {PUBLISHED})))"
                " OR order_id NOT IN (SELECT id FROM orders)"
            )
            return db.execute(
                f"SELECT document FROM orders JOIN {OWED} ON order_id = id"
                " WHERE updated_at < ? ORDER BY updated_at, id LIMIT ?",
                (millis(before), page_size(limit)),
            ).fetchall()

        return orders_of(await self._db.run(_transaction(owing)))

    async def schedule(self, due: Mapping[str, date]) -> None:
        rows = [(order_id, day.isoformat()) for order_id, day in due.items()]
        note = f"INSERT OR IGNORE INTO {DUE} VALUES (?, ?)"  # the first day stays
        await self._db.run(_transaction(_many(note, rows)))

    async def due(self, day: date, limit: int) -> Sequence[PaymentOrder]:
        def due(db: sqlite3.Connection) -> list[tuple[str]]:
            rows = db.execute(
                f"SELECT order_id, status, document FROM {DUE} LEFT JOIN orders ON id = order_id"
                " WHERE day <= ? ORDER BY day, order_id LIMIT ?",
                (day.isoformat(), page_size(limit)),
            ).fetchall()
            live = [(document,) for _, status, document in rows if status not in _GONE]
            gone = [(order_id,) for order_id, status, _ in rows if status in _GONE]
            db.executemany(f"DELETE FROM {DUE} WHERE order_id = ?", gone)
            return live

        return orders_of(await self._db.run(_transaction(due)))

    async def unschedule(self, order_ids: Sequence[str]) -> None:
        if order_ids:
            marks = _marks(len(order_ids))
            await self._db.fetch(f"DELETE FROM {DUE} WHERE order_id IN ({marks})", order_ids)

    async def mark_events_published(self, order_ids: Sequence[str], at: datetime) -> None:
        mark = f"INSERT OR IGNORE INTO {PUBLISHED} VALUES (?, ?)"  # the first time stays
        rows = [(order_id, millis(at)) for order_id in order_ids]
        await self._db.run(_transaction(_many(mark, rows)))

    async def claim_event(self, order_id: str, at: datetime, lease: timedelta) -> bool:
        at = store_time(at)

        def claim(order: PaymentOrder) -> PaymentOrder | None:
            claimed = claimable(order, at, lease)
            return order.model_copy(update={"event_claimed_at": at}) if claimed else None

        return any(await self._change_all([order_id], claim))

    async def _change_all(self, order_ids: Sequence[str], change: Change) -> list[bool]:
        """``change`` of each order, written where it makes one, in one transaction."""

        def change_each(db: sqlite3.Connection) -> list[bool]:
            current = _current(db, order_ids)
            done = []
            for order_id in order_ids:
                order = current.get(order_id)
                changed = None if order is None else change(order)
                if changed is not None:
                    _update(db, changed)
                done.append(changed is not None)
            return done

        return await self._db.run(_transaction(change_each))

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
        # An order's last change is when it reached its terminal status.
        by = "updated_at" if status is not None and status.terminal else "created_at"
        sql = f"SELECT document FROM orders WHERE {{}} ORDER BY {by} DESC, id DESC LIMIT ?"
        size = page_size(limit)

        def page(db: sqlite3.Connection) -> list[tuple[str]]:
            if after is None:
                return db.execute(sql.format(where), (*params, size)).fetchall()
            last = db.execute(
                f"SELECT {by} FROM orders WHERE id = ?{owner}", (after, *owner_params)
            ).fetchall()
            if not last:
                return []
            (at,) = last[0]
            query = sql.format(f"{where} AND ({by} < ? OR ({by} = ? AND id < ?))")
            return db.execute(query, (*params, at, at, after, size)).fetchall()

        return orders_of(await self._db.run(page))

    async def count_by_status(self) -> Mapping[OrderStatus, int]:
        rows = await self._db.fetch(
            f"SELECT status, SUM(orders) FROM {COUNTS} GROUP BY status HAVING SUM(orders) > 0"
        )
        return {OrderStatus(status): count for status, count in rows}

    async def summarise(self) -> None:
        """Nothing to fold: indexes serve the listings, and the counts move with the orders."""
