"""Values as Camel turns them into text.

Camel converts a value to a String with its type converter, which mostly ends in Java's
``toString``: a template (``Hello ${header.user}``), ``startsWith``, ``regex`` and a
``String`` result type all see that text. These are the Java spellings for the values a
route carries here: ``true``/``false``, a Decimal in plain notation, a double as Java
prints it (``1.0E10``), a list as ``[a, b]`` and a map as ``{k=v}``, a datetime as a
``java.util.Date`` prints, bytes decoded as UTF-8. An enum stands for its value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from routes.simple.dates import java_date

COLLECTIONS = (list, tuple, set, frozenset)  # what Java would hold in a Collection


def render(value: Any) -> str | None:
    """The text Camel makes of ``value``; None stays None (a template skips it)."""
    return None if value is None else text_of(value)


def text_of(value: Any) -> str:
    if isinstance(value, Enum):
        return text_of(value.value)
    if isinstance(value, str):
        return str.__str__(value)  # the text itself, also of a str subclass
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, datetime):
        return java_date(value)
    if isinstance(value, BaseException):
        message = exception_message(value)
        return type(value).__name__ + ("" if message is None else f": {message}")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_element(k)}={_element(v)}" for k, v in value.items()) + "}"
    if isinstance(value, COLLECTIONS):
        return "[" + ", ".join(_element(item) for item in value) + "]"
    return str(value)


def _element(value: Any) -> str:
    return "null" if value is None else text_of(value)


def exception_message(error: BaseException) -> str | None:
    """Java's ``getMessage()``: None when the exception was raised without one."""
    return str(error) if error.args else None


def _java_double(value: float) -> str:
    """Java's ``Double.toString``: plain between 10^-3 and 10^7, else ``d.dddE±n``."""
    if math.isnan(value) or math.isinf(value):
        return "NaN" if math.isnan(value) else ("-" if value < 0 else "") + "Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)  # Python, too, prints these plain and shortest
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{len(digits) - 1 + exponent}"


def java_type_name(value: Any) -> str:
    """The Java type Camel would report for ``value``, for error messages."""
    names: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "Boolean"),
        (int, "Integer"),
        (float, "Double"),
        (Decimal, "BigDecimal"),
        (str, "String"),
        ((bytes, bytearray), "byte[]"),
        (Mapping, "Map"),
        ((list, tuple), "List"),
        ((set, frozenset), "Set"),
        (datetime, "Date"),
    )
    if value is None:
        return "null"
    return next((name for kind, name in names if isinstance(value, kind)), type(value).__name__)
