"""Closes the socket of a connection attempt that pymongo's async client abandons.

pymongo (4.20.1 and before) opens a raw socket in ``pool_shared._async_create_connection``
and closes it on a failed connect, but not when the task connecting is cancelled: the
client's own ``close()`` cancels its server monitor, which may be connecting at that
moment (it retries every half second while a server is down). The socket is then left
to the garbage collector, whose ``ResourceWarning`` fails whatever runs at that moment
(upstream: PYTHON-5867, mongo-python-driver#2858, not merged). This guard runs the
connect in a task of its own and, when the caller is cancelled, closes the socket that
task produces — the pattern pymongo already uses for its TLS wrap (``_close_late_socket``).
``close_client`` closes a client and waits for the attempts it abandoned, so that a
loop closing right after (a start that failed) does not report them as errors of its
shutdown. Installed once, on import of ``components.mongodb``; a pymongo without the function is
left as it is.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

from pymongo import AsyncMongoClient, pool_shared
from pymongo.pool_options import PoolOptions

Address = tuple[str, int | None]
Connect = Callable[[Address, PoolOptions], Coroutine[Any, Any, socket.socket]]

# Attempts still connecting whose caller was cancelled.
_abandoned: set[asyncio.Future[socket.socket]] = set()


def _close_when_connected(attempt: asyncio.Future[socket.socket]) -> None:
    _abandoned.discard(attempt)
    if not attempt.cancelled() and attempt.exception() is None:
        attempt.result().close()


async def close_client(client: AsyncMongoClient[Any], within: float = 10.0) -> None:
    """Close ``client``, then wait up to ``within`` seconds (a connect timeout ends each
    sooner) for the connection attempts abandoned on this loop."""
    await client.close()
    loop = asyncio.get_running_loop()
    pending = [attempt for attempt in _abandoned if attempt.get_loop() is loop]
    if pending:
        await asyncio.wait(pending, timeout=within)


def guarded(connect: Connect) -> Connect:
    async def connect_or_close(address: Address, options: PoolOptions) -> socket.socket:
        attempt = asyncio.ensure_future(connect(address, options))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            _abandoned.add(attempt)
            attempt.add_done_callback(_close_when_connected)
            raise

    return connect_or_close


def install() -> None:
    connect = getattr(pool_shared, "_async_create_connection", None)
    if connect is not None and connect.__name__ != "connect_or_close":
        # mypy types a module's function as the function itself, not as its signature.
        pool_shared._async_create_connection = guarded(connect)  # type: ignore[assignment]
