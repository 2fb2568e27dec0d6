"""Durations as Camel writes them: a number of milliseconds (``5000``), or units
(``5s``, ``500ms``, ``1m30s``, ``2h``, ``1d``), as its timer, delays and redelivery
options take them."""

from __future__ import annotations

import re

_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|d|h|m|s)")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|d|h|m|s))+")


def milliseconds(value: str | int | float) -> float:
    """``value`` in milliseconds; ValueError names what is wrong with it."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is no duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value} is a negative duration")
        return float(value)
    text = value.strip().lower()
    try:
        number = float(text)
    except ValueError:
        if not _DURATION.fullmatch(text):
            raise ValueError(
                f"{value!r} is no duration: milliseconds (5000), or units d, h, m, s, ms "
                "(5s, 1m30s, 500ms)"
            ) from None
        return float(sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text)))
    if number < 0:
        raise ValueError(f"{value!r} is a negative duration")
    return number


def seconds(value: str | int | float) -> float:
    """``value`` (milliseconds, or units) in seconds."""
    return milliseconds(value) / 1000
