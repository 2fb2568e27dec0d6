"""How long the simulated bank takes to answer: a real bank's answer times are skewed,
most near a median and a long tail of slow ones, which a log-normal draw by its median
and 99th percentile reproduces; capped, as a bank's own timeout cuts its tail."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from statistics import NormalDist

_Z99 = NormalDist().inv_cdf(0.99)  # standard deviations from the median to the 99th percentile


@dataclass(frozen=True)
class Latency:
    """``p50`` seconds at the median; with ``p99`` (above it), log-normal with that 99th
    percentile, never more than ``cap``; else always ``p50``."""

    p50: float = 0.0
    p99: float | None = None
    cap: float | None = None

    def __post_init__(self) -> None:
        if self.p50 < 0:
            raise ValueError("latency must be >= 0")
        if self.p99 is not None and (self.p50 <= 0 or self.p99 < self.p50):
            raise ValueError("a latency's p99 needs a p50 above 0, and is at least the p50")
        if self.cap is not None and self.cap < self.p50:
            raise ValueError("a latency's cap is at least its p50")

    @property
    def varies(self) -> bool:
        return self.p99 is not None and self.p99 > self.p50

    def draw(self, rng: random.Random) -> float:
        """The seconds of one answer (a constant one draws nothing from ``rng``)."""
        if self.p99 is None or not self.varies:
            return self.p50
        sigma = math.log(self.p99 / self.p50) / _Z99
        seconds = rng.lognormvariate(math.log(self.p50), sigma)
        return seconds if self.cap is None else min(seconds, self.cap)
