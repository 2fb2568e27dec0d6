"""A connection attempt pymongo abandons (its client closed mid-connect) leaves no
socket open for the garbage collector (``components.mongodb.connect_guard``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

from pymongo import AsyncMongoClient, pool_shared
from pymongo.pool_options import PoolOptions

from components.mongodb import connect_guard  # importing the package installs the guard


@contextlib.asynccontextmanager
async def cancelled_connect() -> AsyncIterator[tuple[socket.socket, asyncio.Task[socket.socket]]]:
    """A listener, and a pymongo connect to it cancelled once it started connecting."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    try:
        attempt = asyncio.create_task(
            pool_shared._async_create_connection(
                listener.getsockname(), PoolOptions(connect_timeout=5)
            )
        )
        await asyncio.sleep(0)  # let the attempt start connecting
        attempt.cancel()
        yield listener, attempt
    finally:
        listener.close()


async def test_a_connect_cancelled_midway_closes_its_socket() -> None:
    loop = asyncio.get_running_loop()
    async with cancelled_connect() as (listener, attempt):
        async with asyncio.timeout(10):
            peer, _ = await loop.sock_accept(listener)
            with peer:
                # The abandoned socket was closed: its peer reads the end of the stream.
                assert await loop.sock_recv(peer, 1) == b""
        assert attempt.cancelled()


async def test_closing_a_client_waits_for_the_attempts_abandoned_on_its_loop() -> None:
    """A loop that closed with an attempt still connecting would report its end as an
    error of the loop's shutdown (a start that failed on an unreachable store did)."""
    async with cancelled_connect():
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(connect=False)
        async with asyncio.timeout(10):
            await connect_guard.close_client(client)
        loop = asyncio.get_running_loop()
        assert [left for left in connect_guard._abandoned if left.get_loop() is loop] == []
