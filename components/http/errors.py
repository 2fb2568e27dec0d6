"""What an ``http://`` call raises, one class per way it failed, so a route picks
what to redeliver by exception type: typically ``HttpServerError`` and
``HttpNoResponse``, never ``HttpClientError``.
"""

from __future__ import annotations

from typing import Any

from endpoints.uri import mask_credentials

_SHOWN = 200  # characters of an answer's body quoted in the message


class HttpOperationFailed(Exception):
    """A call to another service failed; ``status`` is None when nothing answered. The
    message names the URL without its credentials."""

    def __init__(self, url: str, status: int | None, body: Any, reason: str) -> None:
        super().__init__(f"{mask_credentials(url)}: {reason}")
        self.url = url
        self.status = status
        self.body = body

    @classmethod
    def for_status(cls, url: str, status: int, body: Any) -> HttpOperationFailed:
        kind = HttpServerError if status >= 500 else HttpClientError
        text = repr(body)
        shown = text if len(text) <= _SHOWN else text[:_SHOWN] + "…"
        return kind(url, status, body, f"answered {status}: {shown}")


class HttpClientError(HttpOperationFailed):
    """The service answered 4xx: the request itself is wrong (or, 408/429, too early)."""


class HttpServerError(HttpOperationFailed):
    """The service answered 5xx."""


class HttpNoResponse(HttpOperationFailed):
    """No answer: refused, reset or timed out. The service may still have acted on it."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, None, None, reason)


class HttpTimeout(HttpNoResponse):
    """No answer within the call's ``timeout`` (seconds)."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__(url, f"no answer within {timeout:g}s")
        self.timeout = timeout
