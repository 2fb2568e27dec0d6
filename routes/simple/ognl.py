"""Camel's OGNL paths after a function: ``${body.address.lines[last-1].trim()}``.

A path reads, step by step: ``.name`` a property (a dict's key, an object's attribute;
for a pydantic model also a field's alias or camelCase spelling, and Java's getter form
``getName``), ``[key]`` a dict's key (dots allowed), a list's index (``last``,
``last-1``) or an object's attribute, and ``.method(args)`` one of the Java methods of
``methods``. As in Camel, a path on a null value is null, but a step reached with null
half-way is an error unless it is written null-safe, ``?.name``. A missing dict key is
null (``Map.get``); a missing attribute is an error, as a missing getter is in Camel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from endpoints.exchange import Exchange
from routes.expressions import Expression, ExpressionError
from routes.simple.arguments import Nested, closing, parse_arguments
from routes.simple.methods import BARE, METHODS
from routes.simple.rendering import COLLECTIONS, exception_message, java_type_name
from routes.simple.source import Fragment, opener_length

Read = Callable[[Exchange, Any], Any]

_NAME = re.compile(r"[A-Za-z_$][\w$-]*")
_GETTER = re.compile(r"get([A-Z]\w*)")
_LAST = re.compile(r"last(?:\s*-\s*(\d+))?")
_NUMBER = re.compile(r"-?\d+")
_PLAIN = (str, bytes, bytearray, int, float, Decimal, bool, *COLLECTIONS)  # no properties
_MISSING = object()
_METHOD_LIST = ", ".join(f"{name}()" for name in METHODS)


@dataclass(frozen=True)
class Step:
    label: str  # as written, for messages
    null_safe: bool
    read: Read  # applied to a value that is not None


@dataclass(frozen=True)
class Path:
    function: str
    steps: tuple[Step, ...]

    def __call__(self, exchange: Exchange, value: Any) -> Any:
        """The path on ``value``; None if ``value`` is (Camel's function on null is null)."""
        if value is None:
            return None
        for step in self.steps:
            if value is None and step.null_safe:
                return None
            if value is None:
                raise ExpressionError(
                    f"${{{self.function}}}: {step.label} is applied to null; "
                    "write ?. where null may occur (e.g. ?.name) for null-safe navigation"
                )
            try:
                value = step.read(exchange, value)
            except ExpressionError as error:
                raise ExpressionError(f"${{{self.function}}}: {step.label}: {error}") from error
        return value


def parse_path(fragment: Fragment, start: int, nested: Nested) -> Path:
    text, index, steps = fragment.text, start, []
    while index < len(text):
        begin = index
        if text[index] == "[":
            close = closing(fragment, index, "[", "]")
            key = fragment.slice(index + 1, close).text.strip()
            if opener_length(key, 0) or not key:
                raise fragment.error(index + 1, f"unsupported key [{key}]", "write a fixed key")
            step_read = _index(key)
            index, null_safe = close + 1, False
        elif text.startswith(("?.", "."), index):
            null_safe = text[index] == "?"
            name = _NAME.match(text, index + 1 + null_safe)
            if name is None:
                raise fragment.error(index + 1 + null_safe, "expected a name after '.'")
            index = name.end()
            if text.startswith("(", index):
                close = closing(fragment, index, "(", ")")
                arguments = parse_arguments(fragment.slice(index + 1, close), nested)
                step_read = _call(fragment, name.start(), name[0], arguments)
                index = close + 1
            else:
                step_read = _property(name[0])
        else:
            raise fragment.error(
                index, f"unexpected {text[index]!r} in {text!r}", _hint(text[index])
            )
        steps.append(Step(text[begin:index], null_safe, step_read))
    return Path(fragment.text, tuple(steps))


def _hint(char: str) -> str:
    if char.isspace():
        return "operators go outside functions, as ${header.a} > 1 (no inline predicates)"
    return "a path goes on with .name, ?.name, .method(...) or [key]"


def _call(fragment: Fragment, at: int, name: str, arguments: Sequence[Expression]) -> Read:
    method = METHODS.get(name)
    if method is None and _GETTER.fullmatch(name) and not arguments:
        return _property(name)
    if method is None:
        hint = f"supported methods: {_METHOD_LIST}; read properties without parentheses"
        raise fragment.error(at, f"unknown method '{name}()'", hint)
    if len(arguments) not in method.arities:
        counts = " or ".join(map(str, method.arities))
        raise fragment.error(at, f"{name}() takes {counts} argument(s), not {len(arguments)}")
    return lambda exchange, value: method(name, value, [a(exchange) for a in arguments])


def _property(name: str) -> Read:
    def read(exchange: Exchange, value: Any) -> Any:
        bare = METHODS[name] if name in BARE else None
        if bare and isinstance(value, bare.receivers.types) and not _has_key(value, name):
            return bare(name, value, ())
        return _property_of(value, name)

    return read


def _has_key(value: Any, key: str) -> bool:
    return isinstance(value, Mapping) and key in value


def _property_of(value: Any, name: str) -> Any:
    getter = _GETTER.fullmatch(name)
    names = (name, getter[1][0].lower() + getter[1][1:]) if getter else (name,)
    if isinstance(value, Mapping):
        return next((value[key] for key in names if key in value), None)
    if isinstance(value, BaseException) and name == "message":
        return exception_message(value)
    if isinstance(value, _PLAIN):
        raise ExpressionError(f"{java_type_name(value)} has no property {name!r}")
    for key in names:
        found = _attribute(value, key)
        if found is not _MISSING:
            return found
    raise ExpressionError(f"{type(value).__name__} has no property {name!r}{_fields(value)}")


def _attribute(value: Any, name: str) -> Any:
    if name.startswith("_"):
        raise ExpressionError(f"{name!r} is private")
    if isinstance(value, BaseModel):
        for field, info in type(value).model_fields.items():
            if name in (field, info.alias, info.validation_alias, info.serialization_alias):
                return getattr(value, field)
            if name == to_camel(field) and name != field:
                return getattr(value, field)
    try:
        found = getattr(value, name, _MISSING)
    except Exception as error:  # a Python property may fail as a Java getter may
        raise ExpressionError(
            f"reading {name!r} of {type(value).__name__} failed: {error}"
        ) from error
    if callable(found):
        hint = f"only these methods can be called: {_METHOD_LIST}"
        raise ExpressionError(f"{name!r} of {type(value).__name__} is a method; {hint}")
    return found


def _fields(value: Any) -> str:
    if isinstance(value, BaseModel):
        return f" (its fields: {', '.join(type(value).model_fields)})"
    return ""


def _index(key: str) -> Read:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        key = key[1:-1]
    last = _LAST.fullmatch(key)
    number = int(key) if _NUMBER.fullmatch(key) and len(key) < 20 else None

    def read(exchange: Exchange, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return _item(value, key, number, last)
        if isinstance(value, Mapping):
            return value.get(key if key in value or number is None else number)
        if isinstance(value, _PLAIN):
            raise ExpressionError(f"{java_type_name(value)} cannot be indexed with [{key}]")
        return _property_of(value, key)

    return read


def _item(items: Sequence[Any], key: str, number: int | None, last: re.Match[str] | None) -> Any:
    if last is not None:
        number = len(items) - 1 - int(last[1] or 0)
    if number is None:
        raise ExpressionError(f"a List is indexed by a number or last, not {key!r}")
    if not 0 <= number < len(items):
        raise ExpressionError(f"index {number} is out of bounds for length {len(items)}")
    return items[number]
