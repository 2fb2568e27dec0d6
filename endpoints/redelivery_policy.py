"""How often and how long to wait before trying a failed step again.

A frozen value with Camel's vocabulary and defaults (times in seconds here, where Camel
counts milliseconds: the YAML DSL takes Camel's). Exponential delays come from the
``backoff`` library's generator; the error handler owns the sleeping, so tests inject
a sleeper and never wait for real.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import KW_ONLY, dataclass, field

import backoff

RetryOn = Callable[[BaseException], bool]


class NonRetryable(Exception):  # a marker, read as an adjective
    """Raise (or inherit from) this for errors no retry can fix, e.g. invalid input."""


@dataclass(frozen=True)
class RedeliveryPolicy:
    """Camel's RedeliveryPolicy with its defaults, times in seconds: no redelivery; when
    redelivering, one second between attempts, growing by ``backoff_multiplier`` only
    with ``use_exponential_backoff``, never above ``maximum_redelivery_delay`` (60 s).
    ``maximum_redeliveries=-1`` redelivers for ever. ``use_collision_avoidance`` moves
    each delay by up to ``collision_avoidance_factor`` either way, as Camel does;
    ``jitter`` (not Camel's) draws each delay uniformly from [0, computed] instead."""

    maximum_redeliveries: int = 0
    redelivery_delay: float = 1.0  # seconds before the first redelivery
    _: KW_ONLY
    use_exponential_backoff: bool = False
    backoff_multiplier: float = 2.0
    maximum_redelivery_delay: float = 60.0
    use_collision_avoidance: bool = False
    collision_avoidance_factor: float = 0.15
    jitter: bool = False
    retry_on: RetryOn | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.maximum_redeliveries < -1:
            raise ValueError("maximum_redeliveries must be >= 0, or -1 for ever")
        if self.redelivery_delay < 0 or self.maximum_redelivery_delay < 0:
            raise ValueError("redelivery_delay and maximum_redelivery_delay must be >= 0")
        if self.backoff_multiplier < 1:
            raise ValueError("backoff_multiplier must be >= 1")
        if not 0 <= self.collision_avoidance_factor <= 1:
            raise ValueError("collision_avoidance_factor must be within [0, 1]")

    def should_redeliver(self, error: BaseException, redeliveries_done: int) -> bool:
        if isinstance(error, NonRetryable):
            return False
        if 0 <= self.maximum_redeliveries <= redeliveries_done:
            return False
        return self.retry_on is None or self.retry_on(error)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The wait before each redelivery, first one first."""
        schedule: Iterator[float]
        if self.use_exponential_backoff:
            schedule = backoff.expo(
                base=self.backoff_multiplier,
                factor=self.redelivery_delay,
                max_value=self.maximum_redelivery_delay,
            )
            next(schedule)  # backoff's generators start with a priming yield
        else:
            schedule = itertools.repeat(self.redelivery_delay)
        draw = rng or random
        for delay in schedule:
            if self.jitter:
                delay = draw.uniform(0, delay)
            elif self.use_collision_avoidance:
                variance = self.collision_avoidance_factor * draw.choice((1, -1))
                delay += delay * variance * draw.random()
            yield min(delay, self.maximum_redelivery_delay)


NO_REDELIVERY = RedeliveryPolicy()
