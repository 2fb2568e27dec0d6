"""One SQLite connection in a worker thread of its own, as both embedded stores keep
theirs: the event loop never waits on the disk, and the connection (and every cursor of
it) is used by that one thread only, as SQLite asks."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from payments.domain.store import StoreUnavailable

T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]

MEMORY = ":memory:"


class SqliteThread:
    """``what``: the store's name in its errors ("order" for "the order database …")."""

    def __init__(self, path: str, connect: Callable[[str], sqlite3.Connection], what: str) -> None:
        self.path, self._connect, self._what = path, connect, what
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Connect (creating the file's folder); StoreUnavailable if SQLite cannot."""
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{self._what}s")
        try:
            connection = await asyncio.get_running_loop().run_in_executor(
                executor, self._connect, self.path
            )
        except sqlite3.Error as error:
            executor.shutdown(wait=False)
            raise StoreUnavailable(
                f"cannot open the {self._what} database {self.path}: {error}"
            ) from error
        self._executor, self._connection = executor, connection

    async def close(self) -> None:
        executor, connection = self._executor, self._connection
        self._executor = self._connection = None
        if executor is not None and connection is not None:
            await asyncio.get_running_loop().run_in_executor(executor, connection.close)
            executor.shutdown(wait=False)

    async def run(self, work: Work[T]) -> T:
        """``work`` on the connection, in its thread."""
        executor, connection = self._executor, self._connection
        if executor is None or connection is None:
            raise StoreUnavailable(f"the SQLite {self._what} store is not started")
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, work, connection)
        except sqlite3.OperationalError as error:  # locked past the busy timeout, disk I/O
            raise StoreUnavailable(
                f"the {self._what} database {self.path} failed: {error}"
            ) from error

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One statement's rows; fetching them all ends it, and with it its transaction."""
        return await self.run(lambda db: db.execute(sql, params).fetchall())
