"""How often and how long to wait before trying a failed step again.

A frozen value with Camel's vocabulary. The delay schedule comes from the
``backoff`` library's exponential generator and jitter functions; the error handler
owns the sleeping, so tests inject a sleeper and never wait for real.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import backoff

RetryOn = Callable[[BaseException], bool]


class NonRetryable(Exception):  # a marker, read as an adjective
    """Raise (or inherit from) this for errors no retry can fix, e.g. invalid input."""


@dataclass(frozen=True)
class RedeliveryPolicy:
    maximum_redeliveries: int = 0
    redelivery_delay: float = 1.0  # seconds before the first redelivery
    backoff_multiplier: float = 2.0  # 1.0 gives a fixed delay
    maximum_redelivery_delay: float = 60.0
    jitter: bool = False  # full jitter: each delay drawn uniformly from [0, computed]
    retry_on: RetryOn | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.maximum_redeliveries < 0:
            raise ValueError("maximum_redeliveries must be >= 0")
        if self.redelivery_delay < 0 or self.maximum_redelivery_delay < 0:
            raise ValueError("redelivery_delay and maximum_redelivery_delay must be >= 0")
        if self.backoff_multiplier < 1:
            raise ValueError("backoff_multiplier must be >= 1")

    def should_redeliver(self, error: BaseException, redeliveries_done: int) -> bool:
        if redeliveries_done >= self.maximum_redeliveries or isinstance(error, NonRetryable):
            return False
        return self.retry_on is None or self.retry_on(error)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The wait before each redelivery, first one first."""
        schedule = backoff.expo(
            base=self.backoff_multiplier,
            factor=self.redelivery_delay,
            max_value=self.maximum_redelivery_delay,
        )
        next(schedule)  # backoff's generators start with a priming yield
        draw = (rng or random).uniform
        for delay in schedule:
            yield draw(0, delay) if self.jitter else delay


NO_REDELIVERY = RedeliveryPolicy()
