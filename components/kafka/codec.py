"""Exchanges to Kafka records and back.

Bodies use the same JSON rules as the ``http:`` component, so money stays exact:
a ``Decimal`` goes out as a JSON string, and a JSON number with a fraction comes
back as a ``Decimal``, never a float.
Header values travel as bytes: text as UTF-8, anything else as JSON. The engine's
local headers (``endpoints.headers.is_local``: this hop's ``kafka.*`` and ``http.*``,
Camel's own ``Camel*``) neither travel nor are taken from a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from components.kafka.options import ValueFormat
from endpoints.headers import KAFKA_KEY, is_local
from endpoints.json_codec import decode_json, encode_json

KafkaHeaders = list[tuple[str, bytes]]


def encode_value(body: Any) -> bytes | None:
    """bytes as they are, str as UTF-8, a pydantic model as its JSON, anything else
    as JSON; None stays None (a tombstone)."""
    if body is None:
        return None
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, BaseModel):
        return body.model_dump_json(by_alias=True).encode()
    return encode_json(body)


def encode_key(headers: Mapping[str, Any]) -> bytes | None:
    key = headers.get(KAFKA_KEY)
    if key is None or isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode()
    raise TypeError(f"header {KAFKA_KEY!r} must be str or bytes, not {type(key).__name__}")


def encode_headers(headers: Mapping[str, Any]) -> KafkaHeaders:
    return [(name, _header_bytes(value)) for name, value in headers.items() if not is_local(name)]


def _header_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return encode_json(value)


def decode_value(data: bytes | None, value_format: ValueFormat) -> Any:
    """Raises ValueError when the bytes are not what ``value_format`` promises."""
    if data is None or value_format == "bytes":
        return data
    if value_format == "text":
        return data.decode()
    return decode_json(data)


def decode_headers(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, Any]:
    """UTF-8 values become str; others stay bytes. A repeated name keeps its last value."""
    return {name: decode_text(value) for name, value in headers if not is_local(name)}


def decode_text(value: bytes | None) -> str | bytes | None:
    """A header value or record key: str when it is UTF-8, else the bytes themselves."""
    if value is None:
        return None
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value
