"""The unit of work a route carries: an Exchange holding one Message.

Camel splits in/out messages; one mutable message is enough here. The original
message is kept apart so a dead-letter channel can forward what actually arrived,
not what half a route made of it.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from endpoints.headers import EXCEPTION_CAUGHT


def _ids() -> Iterator[str]:
    """Exchange ids: 32 hex digits like a UUID's, a random prefix of this process and a
    count (a fresh UUID each took a system call, on the path of every exchange)."""
    prefix = uuid.uuid4().hex[:16]
    return (f"{prefix}{n:016x}" for n in itertools.count())


_exchange_ids = _ids()


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Message:
    """A body and its headers. Header names are case-insensitive, as Camel's: ``header``,
    ``set_header`` and ``remove_header`` find a header whatever the case it was set in
    (the dict keeps the name as it was first set)."""

    body: Any = None
    headers: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Message:
        return Message(_copied(self.body), dict(self.headers))

    def header_name(self, name: str) -> str | None:
        """The key under which the header ``name`` is kept, in whatever case; None."""
        if name in self.headers:
            return name
        folded = name.casefold()
        return next((key for key in self.headers if key.casefold() == folded), None)

    def header(self, name: str, default: Any = None) -> Any:
        key = self.header_name(name)
        return default if key is None else self.headers[key]

    def set_header(self, name: str, value: Any) -> None:
        """Set the header, replacing one of the same name in another case."""
        self.headers[self.header_name(name) or name] = value

    def remove_header(self, name: str) -> Any:
        key = self.header_name(name)
        return None if key is None else self.headers.pop(key)


def _copied(body: Any) -> Any:
    """A deep copy of the body, but an immutable one as it is: text, bytes, a number,
    a frozen pydantic model (deep-copying one of those is most of a seda hop's cost)."""
    if isinstance(body, str | bytes | int | float | Decimal | None):
        return body
    if isinstance(body, BaseModel) and body.model_config.get("frozen"):
        return body
    return copy.deepcopy(body)


@dataclass
class Exchange:
    message: Message
    id: str = field(default_factory=lambda: next(_exchange_ids))
    properties: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None
    created_at: datetime = field(default_factory=utcnow)
    completed_at: datetime | None = None
    route_id: str | None = None
    # Set when a handled error ends routing early in the route it happened in.
    stopped: bool = False
    # Set by the stop EIP: no route routes this exchange further, a calling one neither.
    route_stop: bool = False
    # Called once the exchange's unit of work is done: the route that took it in is
    # through with it (Camel's Synchronization of a unit of work).
    on_completion: list[Callable[[], None]] = field(default_factory=list)
    # How many routes are handling the exchange now (a direct: call nests them).
    routes_in: int = 0
    original: Message = field(init=False)

    def __post_init__(self) -> None:
        self.original = self.message.copy()

    @classmethod
    def of(cls, body: Any = None, headers: dict[str, Any] | None = None) -> Exchange:
        return cls(Message(body, dict(headers or {})))

    @property
    def body(self) -> Any:
        return self.message.body

    @body.setter
    def body(self, value: Any) -> None:
        self.message.body = value

    @property
    def headers(self) -> dict[str, Any]:
        return self.message.headers

    @property
    def caught_exception(self) -> BaseException | None:
        """The error being handled: unhandled, or caught by an error handler."""
        caught = self.properties.get(EXCEPTION_CAUGHT)
        return self.exception or (caught if isinstance(caught, BaseException) else None)

    @property
    def failed(self) -> bool:
        return self.exception is not None

    def copy(self) -> Exchange:
        """An independent exchange with the same message, e.g. for a wire tap."""
        twin = Exchange(self.message.copy(), properties=dict(self.properties))
        twin.route_id = self.route_id
        return twin
