"""Readiness probes that speak each server's own wire protocol.

Standard library only, so the scripts can check a server before the project's
virtual environment exists. A port that merely accepts connections is not ready:
Kafka must answer a Metadata request naming at least one broker, and the
MongoDB-wire server must answer ``ping`` with ``ok: 1``.
"""

from __future__ import annotations

import socket
import struct

_TIMEOUT_S = 2.0


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        chunks += chunk
    return bytes(chunks)


def kafka_broker_count(host: str, port: int) -> int:
    """Send a Metadata v4 request; return how many brokers the cluster reports."""
    client_id = b"payorch-infra"
    # Request header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id.
    header = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id
    # Body: topics=null (all topics), allow_auto_topic_creation=false.
    body = struct.pack(">i?", -1, False)
    payload = header + body
    with socket.create_connection((host, port), timeout=_TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        response = _recv_exact(sock, size)
    correlation_id, _throttle_ms, brokers = struct.unpack(">iii", response[:12])
    if correlation_id != 7:
        raise ConnectionError(f"unexpected correlation id {correlation_id}")
    return int(brokers)


def _bson_ping() -> bytes:
    elements = b"\x10ping\x00" + struct.pack("<i", 1)  # int32 "ping": 1
    db = b"admin\x00"
    elements += b"\x02$db\x00" + struct.pack("<i", len(db)) + db  # string "$db": "admin"
    return struct.pack("<i", len(elements) + 5) + elements + b"\x00"


def mongo_ping(host: str, port: int) -> bool:
    """Send ``{ping: 1}`` as an OP_MSG; true when the server answers ``ok: 1.0``."""
    section = b"\x00" + _bson_ping()  # kind 0: body document
    message = struct.pack("<I", 0) + section  # flagBits
    header = struct.pack("<iiii", 16 + len(message), 1, 0, 2013)  # OP_MSG
    with socket.create_connection((host, port), timeout=_TIMEOUT_S) as sock:
        sock.sendall(header + message)
        (size,) = struct.unpack("<i", _recv_exact(sock, 4))
        reply = _recv_exact(sock, size - 4)
    # "ok" is a double in the reply document: type 0x01, name "ok\0", 8 bytes.
    marker = reply.find(b"\x01ok\x00")
    if marker < 0:
        return False
    (ok,) = struct.unpack("<d", reply[marker + 4 : marker + 12])
    return bool(ok == 1.0)
