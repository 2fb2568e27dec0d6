"""Bodies on the HTTP wire: JSON (``endpoints.json_codec``), text, or bytes, each
with its content type."""

from __future__ import annotations

from typing import Any

from endpoints.json_codec import encode_json

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BYTES = "application/octet-stream"


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


def is_json(content_type: str | None) -> bool:
    """``application/json`` or a JSON-based ``application/*+json`` (problem+json …)."""
    return content_type is not None and (
        content_type == JSON
        or (content_type.startswith("application/") and content_type.endswith("+json"))
    )
