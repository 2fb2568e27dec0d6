"""What the engine is doing right now in this task: which route runs which exchange.

Set by a route while it handles an exchange, so that anything called from its
steps (a log formatter, a store) can name the route, the exchange and its
correlation id without being handed them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from endpoints.exchange import Exchange
from endpoints.headers import CORRELATION_ID


@dataclass(frozen=True)
class Routing:
    route_id: str
    exchange: Exchange

    @property
    def correlation_id(self) -> str | None:
        value = self.exchange.headers.get(CORRELATION_ID)
        return value if isinstance(value, str) else None


_current: ContextVar[Routing | None] = ContextVar("routing", default=None)


def current_routing() -> Routing | None:
    """The innermost route running in this task, or None outside any route."""
    return _current.get()


@contextlib.contextmanager
def routing(route_id: str, exchange: Exchange) -> Iterator[None]:
    token = _current.set(Routing(route_id, exchange))
    try:
        yield
    finally:
        _current.reset(token)
