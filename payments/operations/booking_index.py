"""The bookings of one reconciliation by key, in a temporary SQLite file.

A statement can hold millions of bookings; kept in a dict they would cost memory in
proportion. Here they cost SQLite's page cache (2 MiB by default); the rest is on
disk, in a file SQLite deletes when the index is closed. The calls are small (a page
of bookings or of keys), so they run on the caller's thread.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from types import TracebackType

from payments.operations.statements import Booking

_COLUMNS = "key, reference, debtor, creditor, amount, currency, booked_at"
_PLACES = ",".join("?" * len(_COLUMNS.split(",")))
_SCHEMA = f"CREATE TABLE bookings ({_COLUMNS}); CREATE INDEX bookings_key ON bookings (key);"


class BookingIndex:
    def __init__(self) -> None:
        # "": a private temporary database, on disk once it outgrows the cache.
        self._db = sqlite3.connect("")
        self._db.executescript(_SCHEMA)

    def __enter__(self) -> BookingIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._db.close()

    def add(self, bookings: Iterable[Booking]) -> None:
        rows = (
            (
                b.key,
                b.reference,
                b.debtor,
                b.creditor,
                str(b.amount),
                b.currency,
                b.booked_at.isoformat(),
            )
            for b in bookings
        )
        with self._db:
            self._db.executemany(f"INSERT INTO bookings VALUES ({_PLACES})", rows)

    def take(self, keys: Collection[str]) -> dict[str, list[Booking]]:
        """The bookings of ``keys``, each key's in the order they were added, removed
        from the index."""
        if not keys:
            return {}
        places = ",".join("?" * len(keys))
        where, arguments = f"WHERE key IN ({places})", tuple(keys)
        with self._db:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM bookings {where} ORDER BY rowid", arguments
            ).fetchall()
            self._db.execute(f"DELETE FROM bookings {where}", arguments)
        taken: dict[str, list[Booking]] = {}
        for row in rows:
            taken.setdefault(row[0], []).append(_booking(row))
        return taken

    def left(self) -> Iterator[list[Booking]]:
        """The bookings not taken, one key's at a time, in key order."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM bookings ORDER BY key, rowid")
        for _, group in itertools.groupby(rows, key=lambda row: row[0]):
            yield [_booking(row) for row in group]


def _booking(row: tuple[str, ...]) -> Booking:
    key, reference, debtor, creditor, amount, currency, booked_at = row
    return Booking(
        reference=reference,
        key=key,
        debtor=debtor,
        creditor=creditor,
        amount=Decimal(amount),
        currency=currency,
        booked_at=datetime.fromisoformat(booked_at),
    )
