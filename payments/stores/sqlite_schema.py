"""The embedded store's SQLite file: its tables and indexes, an order as a row, and
bringing a file written by an earlier version up to date when a store opens it
(``connect``)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from payments.domain.model import ANONYMOUS_CLIENT, TERMINAL, OrderStatus, PaymentOrder
from payments.domain.transitions import store_time
from payments.stores.documents import scoped_key, to_document

# The orders whose payment a worker claimed (``OrderStore.claim_payments``), and the
# orders whose terminal event was published, when (epoch ms): rows of their own, so
# marking one does not rewrite the order.
CLAIMS = "payment_claims"
PUBLISHED = "published_events"
# The orders noted due on a day (``OrderStore.schedule``), until their release is over.
DUE = "due_orders"
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
CREATE INDEX IF NOT EXISTS orders_status_updated ON orders (status, updated_at);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at);
CREATE TABLE IF NOT EXISTS {CLAIMS} (order_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS {DUE} (order_id TEXT PRIMARY KEY, day TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS {DUE}_day ON {DUE} (day, order_id);
CREATE TABLE IF NOT EXISTS {PUBLISHED} (order_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
"""
# An order's document and the time its event was marked published, if it was.
READ = f"SELECT document, (SELECT at FROM {PUBLISHED} WHERE order_id = id) FROM orders"
# The orders that owe their execution command, from their creation until ``settle``. A
# file written before the table existed gets it filled from the mark its EXECUTING
# orders then carried; one written while only EXECUTING orders owed theirs (its
# user_version 0) gets the orders before EXECUTING added.
OWED = "owed_commands"
_CREATE_OWED = f"CREATE TABLE {OWED} (order_id TEXT PRIMARY KEY)"
_EXECUTING = OrderStatus.EXECUTING.value
_FILL_OWED = (
    f"INSERT INTO {OWED} SELECT id FROM orders WHERE status = '{_EXECUTING}'"
    " AND json_extract(document, '$.commandPublishedAt') IS NULL"
)
_BEFORE_EXECUTING = ", ".join(
    f"'{status.value}'"
    for status in (OrderStatus.PENDING, OrderStatus.VALIDATED, OrderStatus.ACCEPTED)
)
_OWED_FROM_CREATION = (
    f"INSERT OR IGNORE INTO {OWED} SELECT id FROM orders WHERE status IN ({_BEFORE_EXECUTING})"
)
ENDED = ", ".join(f"'{status.value}'" for status in TERMINAL)
# A file written before orders had clients gets the column (its orders: anonymous's).
_ADD_CLIENT = f"ALTER TABLE orders ADD COLUMN client_id TEXT NOT NULL DEFAULT '{ANONYMOUS_CLIENT}'"
_CLIENT_INDEX = "CREATE INDEX IF NOT EXISTS orders_client_created ON orders (client_id, created_at)"
_CLIENT_STATUS_INDEX = (
    "CREATE INDEX IF NOT EXISTS orders_client_status_created"
    " ON orders (client_id, status, created_at)"
)
# A terminal status lists by when its orders reached it: their last change.
_CLIENT_ENDED_INDEX = (
    "CREATE INDEX IF NOT EXISTS orders_client_status_updated"
    " ON orders (client_id, status, updated_at)"
)
# Orders in each status, per client, kept in the transactions that move them (counted
# once from the orders in a file written before the table existed).
COUNTS = "order_counts"
_CREATE_COUNTS = (
    f"CREATE TABLE {COUNTS} (client_id TEXT NOT NULL, status TEXT NOT NULL,"
    " orders INTEGER NOT NULL, PRIMARY KEY (client_id, status))"
)
_FILL_COUNTS = (
    f"INSERT INTO {COUNTS} SELECT client_id, status, COUNT(*) FROM orders"
    " GROUP BY client_id, status"
)
COUNT = (
    f"INSERT INTO {COUNTS} VALUES (?, ?, ?) ON CONFLICT (client_id, status)"
    " DO UPDATE SET orders = orders + excluded.orders"
)


def connect(path: str) -> sqlite3.Connection:
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
    connection.execute(_CLIENT_STATUS_INDEX)
    connection.execute(_CLIENT_ENDED_INDEX)
    connection.execute("BEGIN IMMEDIATE")  # one process of several starting at once fills it
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    if OWED not in tables:
        connection.execute(_CREATE_OWED)
        connection.execute(_FILL_OWED)
    if COUNTS not in tables:
        connection.execute(_CREATE_COUNTS)
        connection.execute(_FILL_COUNTS)
    if connection.execute("PRAGMA user_version").fetchone()[0] < 1:
        connection.execute(_OWED_FROM_CREATION)
        connection.execute("PRAGMA user_version = 1")
    connection.execute("COMMIT")
    return connection


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def millis(at: datetime) -> int:
    return (store_time(at) - EPOCH) // timedelta(milliseconds=1)


def document_of(order: PaymentOrder) -> str:
    return json.dumps(to_document(order, "json"), separators=(",", ":"))


def orders_of(rows: list[tuple[str]]) -> list[PaymentOrder]:
    return [PaymentOrder.model_validate_json(document) for (document,) in rows]


def marked(rows: list[tuple[str, int | None]]) -> list[PaymentOrder]:
    """Orders read with ``READ``: each with its event's mark (a file from before the
    table keeps it in the document)."""
    orders = []
    for document, published in rows:
        order = PaymentOrder.model_validate_json(document)
        if published is not None and order.event_published_at is None:
            at = EPOCH + timedelta(milliseconds=published)
            order = order.model_copy(update={"event_published_at": at})
        orders.append(order)
    return orders


# The columns of an order's row, in the order ``row_of`` gives their values.
COLUMNS = "id, idempotency_key, status, created_at, updated_at, document, client_id"


def row_of(order: PaymentOrder) -> tuple[Any, ...]:
    return (
        order.id,
        scoped_key(order),
        order.status.value,
        millis(order.created_at),
        millis(order.updated_at),
        document_of(order),
        order.client_id,
    )
