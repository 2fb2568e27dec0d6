"""The arguments of a method in an OGNL path: ``${body.substring(1, ${header.end})}``.

Camel's bean binding takes quoted text as text, numbers, ``true``/``false``/``null``,
and nested functions. It would also try to read an unquoted word as an expression; here
such a word is refused, so that ``startsWith(abc)`` is not silently something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from routes.expressions import Expression
from routes.simple.source import Fragment, opener_length, read_function

Nested = Callable[[Fragment], Expression]  # compiles a ${...} used as an argument

_NUMBER = re.compile(r"-?\d+")
_CONSTANTS = {"true": True, "false": False, "null": None}


def closing(fragment: Fragment, start: int, opener: str, closer: str) -> int:
    """The index of the bracket closing the one at ``start``, past quotes and functions."""
    text, index, depth, quote = fragment.text, start, 0, ""
    while index < len(text):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif opener_length(text, index):
            index = read_function(fragment, index, escapes=False)[1]
            continue
        elif char in "'\"":
            quote = char
        elif char in (opener, closer):
            depth += 1 if char == opener else -1
            if depth == 0:
                return index
        index += 1
    raise fragment.error(start, f"{opener!r} has no closing {closer!r}")


def parse_arguments(fragment: Fragment, nested: Nested) -> tuple[Expression, ...]:
    """Comma-separated arguments: quoted text, integers, true, false, null or ``${...}``."""
    text, begin, index = fragment.text, 0, 0
    pieces: list[tuple[int, int]] = []
    while index <= len(text):
        if index == len(text) or text[index] == ",":
            pieces.append((begin, index))
            begin = index + 1
        elif opener_length(text, index):
            index = read_function(fragment, index, escapes=False)[1]
            continue
        elif text[index] in "'\"":
            index = max(text.find(text[index], index + 1), index)
        index += 1
    if not text.strip():
        return ()
    return tuple(_argument(fragment, start, stop, nested) for start, stop in pieces)


def _argument(fragment: Fragment, start: int, stop: int, nested: Nested) -> Expression:
    raw = fragment.text[start:stop]
    start += len(raw) - len(raw.lstrip())
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return _constant(text[1:-1])
    if opener_length(text, 0):
        body, end = read_function(fragment, start, escapes=False)
        if end == start + len(text):
            return nested(body)
    if text in _CONSTANTS:
        return _constant(_CONSTANTS[text])
    if _NUMBER.fullmatch(text):
        return _constant(int(text))
    hint = "quote text ('x'), or use a number, true, false, null or ${...}"
    raise fragment.error(start, f"unquoted method argument {text!r}", hint)


def _constant(value: Any) -> Expression:
    return lambda exchange: value
