"""A connection attempt pymongo abandons (its client closed mid-connect) leaves no
socket open for the garbage collector (``components.mongodb.connect_guard``)."""

from __future__ import annotations

import asyncio
import socket

from pymongo import pool_shared
from pymongo.pool_options import PoolOptions

import components.mongodb  # noqa: F401 - installs the guard


async def test_a_connect_cancelled_midway_closes_its_socket() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        attempt = asyncio.create_task(
            pool_shared._async_create_connection(
                listener.getsockname(), PoolOptions(connect_timeout=5)
            )
        )
        await asyncio.sleep(0)  # let the attempt start connecting
        attempt.cancel()
        async with asyncio.timeout(10):
            peer, _ = await loop.sock_accept(listener)
            with peer:
                # The abandoned socket was closed: its peer reads the end of the stream.
                assert await loop.sock_recv(peer, 1) == b""
        assert attempt.cancelled()
    finally:
        listener.close()
