"""What an expression needs from the world besides the exchange: a clock and randomness.

They are given when the expression is built (``simple(..., clock=, rng=)``), so that
``${date:now}`` and ``${random(...)}`` are deterministic under test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Env:
    clock: Callable[[], datetime]
    rng: random.Random
