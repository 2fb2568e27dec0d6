"""The Java methods a Simple OGNL path may call, with Java's meaning on Python values.

Camel's OGNL calls any method of the Java object by reflection. Calling any Python
method from route text would be neither safe nor portable, so only a documented subset
is known here, each with the meaning its Java namesake has on the Java type the Python
value stands for: ``length()`` of a String (or of an array, here a list), ``size()`` of a
Collection or Map, ``isEmpty()``, ``startsWith``/``endsWith``/``contains``,
``toUpperCase``/``toLowerCase``, ``trim()`` (Java's: code points up to a space) and
``substring`` (with Java's bounds: out of range is an error, not a shorter string).
A method called on a type that has no such Java method is refused when evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from routes.expressions import ExpressionError
from routes.simple.coercion import convert, java_equal
from routes.simple.rendering import COLLECTIONS, java_type_name, render
from routes.simple.source import JAVA_BLANKS


@dataclass(frozen=True)
class Receivers:
    """The Python types standing for the Java types that have a method, and their names."""

    types: tuple[type, ...]
    names: str


_STRING = Receivers((str,), "String")
_SIZED = Receivers((*COLLECTIONS, Mapping), "Collection, Map")
_LENGTH = Receivers((str, bytes, bytearray, list, tuple), "String, arrays (bytes, list)")
_EMPTY = Receivers((str, *COLLECTIONS, Mapping), "String, Collection, Map")
_CONTAINS = Receivers((str, *COLLECTIONS), "String, Collection")


@dataclass(frozen=True)
class Method:
    arities: tuple[int, ...]
    receivers: Receivers
    call: Callable[[Any, Sequence[Any]], Any]

    def __call__(self, name: str, target: Any, args: Sequence[Any]) -> Any:
        if not isinstance(target, self.receivers.types):
            raise ExpressionError(
                f"{java_type_name(target)} has no method {name}() "
                f"(it is a method of {self.receivers.names})"
            )
        return self.call(target, args)


def _text_argument(args: Sequence[Any]) -> str:
    text = render(args[0])
    if text is None:
        raise ExpressionError("the argument is null")
    return text


def _index(value: Any) -> int:
    index: int = convert(value, int)
    if index is None:
        raise ExpressionError("the index is null")
    return index


def _substring(text: str, args: Sequence[Any]) -> str:
    start = _index(args[0])
    stop = _index(args[1]) if len(args) > 1 else len(text)
    if not 0 <= start <= stop <= len(text):
        raise ExpressionError(f"substring({start}, {stop}) is out of range for length {len(text)}")
    return text[start:stop]


def _contains(target: Any, args: Sequence[Any]) -> bool:
    if isinstance(target, str):
        return _text_argument(args) in target
    return any(java_equal(item, args[0]) for item in target)


METHODS: dict[str, Method] = {
    "length": Method((0,), _LENGTH, lambda t, a: len(t)),
    "size": Method((0,), _SIZED, lambda t, a: len(t)),
    "isEmpty": Method((0,), _EMPTY, lambda t, a: len(t) == 0),
    "startsWith": Method((1,), _STRING, lambda t, a: t.startswith(_text_argument(a))),
    "endsWith": Method((1,), _STRING, lambda t, a: t.endswith(_text_argument(a))),
    "contains": Method((1,), _CONTAINS, _contains),
    "toUpperCase": Method((0,), _STRING, lambda t, a: t.upper()),
    "toLowerCase": Method((0,), _STRING, lambda t, a: t.lower()),
    "trim": Method((0,), _STRING, lambda t, a: t.strip(JAVA_BLANKS)),
    "substring": Method((1, 2), _STRING, _substring),
}
BARE = ("size", "length")  # Camel's examples call these without parentheses too
