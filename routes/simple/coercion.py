"""Camel's type coercion: how two values are compared, and how one becomes a boolean.

This mirrors ``ObjectHelper.typeCoerceEquals``, ``typeCoerceCompare``,
``typeCoerceContains`` and ``evaluateValuePredicate``, with Python's types standing for
Java's (str: String, int: Integer/Long, float: Double, Decimal: BigDecimal, bool: Boolean).
Two strings made only of digits compare as numbers (``'0001' == '001'``); a string and a
number compare as numbers when the string is numeric, else as text; ``'true'`` equals
``true``. Where Camel's last resort converts both numbers to Long (dropping fractions),
numbers here always compare exactly, whatever their Python types.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from routes.expressions import ExpressionError
from routes.simple.rendering import COLLECTIONS, java_type_name, render, text_of
from routes.simple.source import JAVA_BLANKS

Number = int | float | Decimal

_INTEGER = re.compile(r"-?\d+")  # ObjectHelper.isNumber
_FLOATING = re.compile(r"-?(?:\d+\.?\d*|\.\d+)")  # ObjectHelper.isFloatingNumber
_JAVA_INT = re.compile(r"[+-]?\d+")  # Integer.valueOf
_JAVA_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")  # new BigDecimal
_JAVA_DOUBLE = re.compile(r"[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)")
_JAVA_NAMES = {str: "String", int: "Integer", float: "Double", Decimal: "BigDecimal"}


def predicate_value(value: Any) -> bool:
    """A value as Camel reads it as a predicate (``ObjectHelper.evaluateValuePredicate``).

    A bool is itself; a string is false when blank or ``false`` and true when ``true``
    (ignoring case and surrounding blanks) or anything else; a collection is true when
    not empty; None is false; anything else, even 0 or an empty dict, is true.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip(JAVA_BLANKS).lower()
        return text not in ("", "false")
    if isinstance(value, COLLECTIONS):
        return len(value) > 0
    return value is not None


def number(value: Any) -> Number | None:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    return None


def numeric_text(text: str) -> Number | None:
    """The number a numeric string stands for, as Camel's ``isNumber``/``isFloatingNumber``."""
    if _INTEGER.fullmatch(text):
        return _digits(text)
    return Decimal(text) if _FLOATING.fullmatch(text) else None


def _numbers(left: Any, right: Any) -> tuple[Number, Number] | None:
    pair = [numeric_text(v) if isinstance(v, str) else number(v) for v in (left, right)]
    return (pair[0], pair[1]) if pair[0] is not None and pair[1] is not None else None


def _digits(text: str) -> Number:
    """Digits (an ``_INTEGER`` match) as a number; int() refuses very long texts."""
    return int(text) if len(text) < 4000 else Decimal(text)


def _boolean(value: Any) -> bool | None:
    """Java's ``Boolean.valueOf`` for strings: true only for ``true``, ignoring case."""
    if isinstance(value, bool):
        return value
    return value.lower() == "true" if isinstance(value, str) else None


def _sign(left: Any, right: Any) -> int:
    return int(left > right) - int(left < right)


def _nan(value: Number) -> bool:
    return value.is_nan() if isinstance(value, Decimal) else math.isnan(value)


def equals(left: Any, right: Any, ignore_case: bool = False) -> bool:
    """``typeCoerceEquals`` for two values that are not None."""
    if isinstance(left, str) and isinstance(right, str):
        if _INTEGER.fullmatch(left) and _INTEGER.fullmatch(right):
            return _digits(left) == _digits(right)
        return left.lower() == right.lower() if ignore_case else left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return _boolean(left) is not None and _boolean(left) == _boolean(right)
    numbers = _numbers(left, right)
    if numbers is not None:
        return numbers[0] == numbers[1]
    if isinstance(left, str) or isinstance(right, str):
        return equals(text_of(left), text_of(right), ignore_case)
    return bool(left == right)


def compare(left: Any, right: Any) -> int | None:
    """``typeCoerceCompare`` for two values that are not None; None: they do not compare."""
    if isinstance(left, str) and isinstance(right, str):
        if _INTEGER.fullmatch(left) and _INTEGER.fullmatch(right):
            return _sign(_digits(left), _digits(right))
        return _sign(left, right)
    if isinstance(left, bool) or isinstance(right, bool):
        booleans = (_boolean(left), _boolean(right))
        return None if None in booleans else _sign(*booleans)
    numbers = _numbers(left, right)
    if numbers is not None:
        return None if any(map(_nan, numbers)) else _sign(*numbers)
    if isinstance(left, str) or isinstance(right, str):
        return _sign(text_of(left), text_of(right))
    try:
        return _sign(left, right)
    except TypeError:
        return None


def contains(left: Any, right: Any, ignore_case: bool = False) -> bool:
    """``typeCoerceContains`` for two values that are not None.

    Text contains text; a collection contains an element (ignoring case: an element whose
    text contains it, as Camel does); a dict contains a key (Camel iterates a map's
    entries instead); anything else contains what equals it.
    """
    if isinstance(left, str | bytes | bytearray):
        haystack, needle = text_of(left), text_of(right)
        return needle.lower() in haystack.lower() if ignore_case else needle in haystack
    if isinstance(left, COLLECTIONS) and ignore_case:
        needle = text_of(right).lower()
        return any(needle in text_of(item).lower() for item in left if item is not None)
    if isinstance(left, (*COLLECTIONS, Mapping)):
        return any(java_equal(item, right) for item in left)
    return equals(right, left, ignore_case)


def java_equal(left: Any, right: Any) -> bool:
    """``Object.equals``: no coercion, and a Boolean never equals a number."""
    return isinstance(left, bool) == isinstance(right, bool) and bool(left == right)


def elements(value: Any) -> list[Any]:
    """The values ``in`` tests against (``ObjectHelper.createIterator``): a string is split
    on commas, once leading and trailing commas are dropped (``',,a'`` holds '' and 'a')."""
    if value is None:
        return []
    if isinstance(value, str):
        if "," not in value:
            return [value] if value else []
        start = 1 if value.startswith(",") else 0
        stop = len(value) - 1 if value.endswith(",") and len(value) > 1 else len(value)
        return value[start:stop].split(",")
    if isinstance(value, (*COLLECTIONS, Mapping)):
        return list(value)
    return [value]


def convert(value: Any, target: type) -> Any:
    """``value`` converted to ``target`` as Camel's type converter does; None stays None.

    Numbers become Integers by truncation (``Number.intValue``); text must be a number
    in Java's syntax; ``Boolean`` accepts a bool or the text true/false.
    """
    if value is None or target is str:
        return render(value)
    converted = _converted(value, target)
    if converted is None:
        name = _JAVA_NAMES.get(target, "Boolean")
        raise ExpressionError(f"cannot convert {java_type_name(value)} {value!r} to {name}")
    return converted


def _converted(value: Any, target: type) -> Any:
    if target is bool:
        if isinstance(value, bool):
            return value
        return _boolean(value) if _lower(value) in ("true", "false") else None
    if isinstance(value, str):
        return _from_text(value, target)
    amount = number(value)
    if amount is None or target is float:
        return None if amount is None else float(amount)
    if not (amount.is_finite() if isinstance(amount, Decimal) else math.isfinite(amount)):
        return None
    if target is int:
        return int(amount)
    return Decimal(repr(amount)) if isinstance(amount, float) else Decimal(amount)


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def _from_text(text: str, target: type) -> Any:
    try:
        if target is int and _JAVA_INT.fullmatch(text):
            return int(text)
        if target is float and _JAVA_DOUBLE.fullmatch(text.strip()):
            return float(text.strip().rstrip("fFdD"))
        if target is Decimal and _JAVA_DECIMAL.fullmatch(text):
            return Decimal(text)
    except ValueError:
        return None
    return None
