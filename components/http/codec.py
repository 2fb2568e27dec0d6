"""Bodies on the wire: JSON with money kept exact, text, or bytes.

JSON numbers with a fraction become ``Decimal`` (never float) and ``NaN``/``Infinity``
are refused; ``Decimal`` goes out as a string, dates and times in ISO 8601, and
pydantic models by their aliases, as an API with camelCase fields expects.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BYTES = "application/octet-stream"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def decode_json(data: bytes, charset: str = "utf-8") -> Any:
    """Parse JSON; raises ValueError (bad encoding or syntax) naming the problem."""
    return json.loads(data.decode(charset), parse_float=Decimal, parse_constant=_reject_constant)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_json(value: Any) -> bytes:
    return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":")).encode()


def encode_body(body: Any) -> tuple[bytes | None, str | None]:
    """The bytes to send and their content type: None stays empty, str is text,
    bytes are sent as they are, anything else is JSON."""
    if body is None:
        return None, None
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body), BYTES
    if isinstance(body, str):
        return body.encode(), TEXT
    return encode_json(body), JSON


def is_json(content_type: str) -> bool:
    return content_type == JSON or content_type.endswith("+json")
