"""Simple's binary operators, each with Camel's handling of null and its type coercion.

As in Camel's ``PredicateBuilder``: two nulls are equal (and ``<=``, ``>=``, ``<``
hold for them, ``>`` does not); a null and a value are neither equal nor ordered; every
``!`` operator is the negation of its positive twin (so ``null !contains 'x'`` holds).
``regex``, ``is`` and ``range`` need their right side to make sense: when it is a
literal it is checked when the expression is built (a bad pattern, an unknown type name,
a malformed range is refused then), else when evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from endpoints.exchange import Exchange
from routes.expressions import Expression, ExpressionError
from routes.simple.coercion import compare, contains, elements, equals, number
from routes.simple.rendering import render, text_of

Predicate = Callable[[Exchange], bool]
Test = Callable[[Any, Any], bool]
Prepared = Callable[[Any], Callable[[Any], bool]]  # right value -> test of the left value

_ALIASES = {"starts with": "startsWith", "ends with": "endsWith"}  # Camel's deprecated forms
_RANGE = re.compile(r"(\d+)\.\.(\d+)")


@dataclass(frozen=True)
class Operand:
    value: Expression
    literal: bool  # known when built: a number, true/false/null, quoted text without ${...}
    constant: Any  # its value, when literal
    fail: Callable[[str, str], ExpressionError]  # an error at this operand's column


def _guarded(both_null: bool, test: Test) -> Test:
    def run(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return both_null and left is None and right is None
        return test(left, right)

    return run


def _ordered(accept: Callable[[int], bool]) -> Test:
    def test(left: Any, right: Any) -> bool:
        order = compare(left, right)
        return order is not None and accept(order)

    return test


_TESTS: dict[str, Test] = {
    "==": _guarded(True, equals),
    "=~": _guarded(True, partial(equals, ignore_case=True)),
    ">": _guarded(False, _ordered(lambda order: order > 0)),
    ">=": _guarded(True, _ordered(lambda order: order >= 0)),
    "<": _guarded(True, _ordered(lambda order: order < 0)),
    "<=": _guarded(True, _ordered(lambda order: order <= 0)),
    "contains": _guarded(True, contains),
    "~~": _guarded(True, partial(contains, ignore_case=True)),
    "startsWith": _guarded(True, lambda left, right: text_of(left).startswith(text_of(right))),
    "endsWith": _guarded(True, lambda left, right: text_of(left).endswith(text_of(right))),
    "equals": _guarded(True, lambda left, right: text_of(left) == text_of(right)),
}
_TESTS["in"] = lambda left, right: any(_TESTS["=="](left, item) for item in elements(right))


def _regex(right: Any) -> Callable[[Any], bool]:
    try:
        pattern = re.compile(_text(right, "a regular expression"))
    except re.error as error:
        raise ExpressionError(f"invalid regular expression {right!r}: {error}") from error
    return lambda left: left is not None and pattern.fullmatch(text_of(left)) is not None


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "String": lambda value: isinstance(value, str),
    "Integer": _integer,
    "Long": _integer,
    "Double": lambda value: isinstance(value, float),
    "Float": lambda value: isinstance(value, float),
    "Boolean": lambda value: isinstance(value, bool),
    "Number": lambda value: number(value) is not None,
    "Object": lambda value: value is not None,
}
_TYPES |= {f"java.lang.{name}": test for name, test in list(_TYPES.items())}
_TYPES |= {
    "Map": lambda value: isinstance(value, Mapping),
    "List": lambda value: isinstance(value, list | tuple),
    "java.math.BigDecimal": lambda value: isinstance(value, Decimal),
    "byte[]": lambda value: isinstance(value, bytes | bytearray),
}
_TYPES |= {"java.util.Map": _TYPES["Map"], "java.util.List": _TYPES["List"]}


def _is(right: Any) -> Callable[[Any], bool]:
    name = _text(right, "a type name").strip()
    test = _TYPES.get(name)
    if test is None:
        raise ExpressionError(f"unknown type {name!r} (supported: {', '.join(_TYPES)})")
    return test


def _range(right: Any) -> Callable[[Any], bool]:
    bounds = _RANGE.fullmatch(_text(right, "a range"))
    if bounds is None:
        raise ExpressionError(f"invalid range {right!r}: write 'from..to' (whole numbers)")
    low, high = bounds[1], bounds[2]
    return lambda left: _TESTS[">="](left, low) and _TESTS["<="](left, high)


def _text(value: Any, what: str) -> str:
    text = render(value)
    if text is None:
        raise ExpressionError(f"null is not {what}")
    return text


_PREPARED: dict[str, Prepared] = {"regex": _regex, "is": _is, "range": _range}
_NEGATABLE = (
    "=~",
    "contains",
    "~~",
    "regex",
    "in",
    "is",
    "range",
    "startsWith",
    "endsWith",
    "equals",
)
_SPELLINGS = ("==", "!=", ">", ">=", "<", "<=", *_NEGATABLE, *(f"!{n}" for n in _NEGATABLE))
OPERATORS = tuple(sorted((*_SPELLINGS, *_ALIASES), key=len, reverse=True))  # longest first


def binary(operator: str, left: Operand, right: Operand) -> Predicate:
    """The predicate ``left operator right``."""
    name = _ALIASES.get(operator, operator)
    negated = name.startswith("!")
    base = "==" if name == "!=" else name[1:] if negated else name
    check = _prepared(base, left, right) if base in _PREPARED else _plain(base, left, right)
    return (lambda exchange: not check(exchange)) if negated else check


def _plain(base: str, left: Operand, right: Operand) -> Predicate:
    test = _TESTS[base]
    return lambda exchange: test(left.value(exchange), right.value(exchange))


def _prepared(base: str, left: Operand, right: Operand) -> Predicate:
    prepare = _PREPARED[base]
    if not right.literal:
        return lambda exchange: prepare(right.value(exchange))(left.value(exchange))
    try:
        test = prepare(right.constant)
    except ExpressionError as error:
        raise right.fail(f"{base!r}: {error}", "") from error
    return lambda exchange: test(left.value(exchange))
