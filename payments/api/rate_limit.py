"""Per-client rate limits: a token bucket per client, in this process's memory.

A bucket holds up to ``burst`` tokens and gains ``per_second`` of them each second; a
request takes one, or is refused with the time until the next one (the 429's
``Retry-After``). Each ingestion process counts its own requests, so N processes let a
client make up to N times the rate. The clock is injectable, so tests need no sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from payments.api.clients import RateLimit

Clock = Callable[[], float]


class TokenBucket:
    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.clock = clock
        self._tokens = float(limit.burst)
        self._at = clock()

    def take(self) -> float:
        """0.0 when a token was taken; else the seconds until one is there (none taken)."""
        now = self.clock()
        elapsed = max(now - self._at, 0.0)
        self._tokens = min(float(self.limit.burst), self._tokens + elapsed * self.limit.per_second)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.limit.per_second


class RateLimiter:
    """A bucket per client, made on its first request: its own limit, else ``default``."""

    def __init__(
        self,
        default: RateLimit,
        limits: Mapping[str, RateLimit] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.default = default
        self.limits = dict(limits or {})
        self.clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def set_limits(self, limits: Mapping[str, RateLimit]) -> None:
        """New per-client limits; a client whose limit changed starts a full bucket."""
        changed = {c for c in {*self.limits, *limits} if self.limits.get(c) != limits.get(c)}
        self.limits = dict(limits)
        for client_id in changed:
            self._buckets.pop(client_id, None)

    def limit_of(self, client_id: str) -> RateLimit:
        return self.limits.get(client_id, self.default)

    def take(self, client_id: str) -> float:
        """0.0 when the client may go on; else the seconds it must wait."""
        bucket = self._buckets.get(client_id)
        if bucket is None:
            bucket = self._buckets[client_id] = TokenBucket(self.limit_of(client_id), self.clock)
        return bucket.take()
