"""Camel's name patterns (``PatternHelper.matchPattern``), as ``removeHeaders`` and
``removeProperties`` use them: a name matches a pattern exactly, or by a trailing
``*`` wildcard (``x-*``: every name starting ``x-``; ``*``: every name), or as a regular
expression; all without regard to case."""

from __future__ import annotations

import re
from collections.abc import Iterable


def matches_pattern(name: str, pattern: str) -> bool:
    folded, wanted = name.casefold(), pattern.casefold()
    if folded == wanted:
        return True
    if wanted.endswith("*") and folded.startswith(wanted[:-1]):
        return True
    try:
        return re.fullmatch(pattern, name, re.IGNORECASE) is not None
    except re.error:
        return False


def removable(names: Iterable[str], pattern: str, exclude: Iterable[str]) -> list[str]:
    """The names that match ``pattern`` and none of ``exclude``."""
    kept = tuple(exclude)
    return [
        name
        for name in names
        if matches_pattern(name, pattern) and not any(matches_pattern(name, k) for k in kept)
    ]
