"""A Faust app as one member of a consumer group, run inside this process's loop.

Faust is usually run by the ``faust worker`` command; here the app is a mode
Service the endpoint's consumer starts and stops. It is made inside the running
loop, so that everything it builds binds to that loop. All Faust would do besides
consuming is off: no web server, no leader topic, no topic creation (topics are
created explicitly), no tables (memory store; its data dir is a temporary one).
"""

from __future__ import annotations

import asyncio
from typing import Literal

import faust

# Acked offsets are committed this often (seconds), or after this many acks.
COMMIT_INTERVAL = 0.5
COMMIT_EVERY = 100
# A worker that stops heartbeating loses its partitions after SESSION_TIMEOUT; a
# rebalance waits REBALANCE_TIMEOUT for members to rejoin.
SESSION_TIMEOUT = 10.0
HEARTBEAT_INTERVAL = 1.0
REBALANCE_TIMEOUT = 10.0


def consumer_app(
    group_id: str,
    *,
    bootstrap_servers: str,
    client_id: str,
    auto_offset_reset: Literal["earliest", "latest"],
    datadir: str,
) -> faust.App:
    """A Faust app whose id, and so whose consumer group, is ``group_id``."""
    return faust.App(
        group_id,
        broker=[f"kafka://{server.strip()}" for server in bootstrap_servers.split(",")],
        loop=asyncio.get_running_loop(),
        broker_client_id=client_id,
        autodiscover=False,
        web_enabled=False,
        topic_allow_declare=False,
        topic_disable_leader=True,
        store="memory://",
        datadir=datadir,
        consumer_auto_offset_reset=auto_offset_reset,
        key_serializer="raw",
        value_serializer="raw",
        broker_commit_interval=COMMIT_INTERVAL,
        broker_commit_every=COMMIT_EVERY,
        broker_session_timeout=SESSION_TIMEOUT,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL,
        broker_rebalance_timeout=REBALANCE_TIMEOUT,
        # Faust would wait at every rebalance and stop for each record taken but not
        # acked; a record the route keeps failing is never acked, so that wait would
        # not end. The consumer waits for its in-flight exchanges itself.
        stream_wait_empty=False,
    )
