"""What a route step calls: a processor takes one exchange (plain or async), a batch
processor a group of them; each sets its exchanges' bodies, headers or errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from endpoints.exchange import Exchange

Processor = Callable[[Exchange], Any]
BatchProcessor = Callable[[Sequence[Exchange]], Awaitable[None]]
