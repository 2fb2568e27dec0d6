"""Expressions and predicates: how a route reads values out of an exchange.

In Python a plain callable ``(exchange) -> value`` is an expression. The classes here
are expressions that are also plain data, so a YAML route and its Python twin build
equal definitions: ``header("id")``, ``body("amount")``, ``constant(3)``, ``ref("fn")``
(a callable registered on the engine by name) and ``simple("${header.kind} == 'x'")``,
a small subset of Camel's Simple language:

- placeholders ``${body}``, ``${body.a.b}``, ``${header.name}``, ``${exchangeProperty.name}``,
  ``${exchangeId}``, ``${routeId}``, ``${exception.message}``, ``${exception.type}``;
- a template that is one placeholder yields the value itself; mixed text interpolates;
- one comparison ``left OP right`` with OP in ``== != > >= < <= contains in``, operands
  being placeholders or literals (``'text'``, ``12``, ``1.5`` as Decimal, ``true``,
  ``false``, ``null``), yields a bool.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from endpoints.exchange import Exchange

Expression = Callable[[Exchange], Any]


class ExpressionError(ValueError):
    """A Simple expression that cannot be parsed, or a placeholder naming nothing."""


@dataclass(frozen=True)
class Header:
    name: str

    def __call__(self, exchange: Exchange) -> Any:
        return exchange.headers.get(self.name)


@dataclass(frozen=True)
class Body:
    path: tuple[str, ...] = ()

    def __call__(self, exchange: Exchange) -> Any:
        return _walk(exchange.body, self.path)


@dataclass(frozen=True)
class ExchangeProperty:
    name: str

    def __call__(self, exchange: Exchange) -> Any:
        return exchange.properties.get(self.name)


@dataclass(frozen=True)
class Constant:
    value: Any

    def __call__(self, exchange: Exchange) -> Any:
        return self.value


@dataclass(frozen=True)
class Ref:
    """A callable registered on the engine under ``name``; resolved when routes are built."""

    name: str

    def __call__(self, exchange: Exchange) -> Any:
        raise ExpressionError(f"ref {self.name!r} was not resolved before use")


def header(name: str) -> Header:
    return Header(name)


def body(*path: str) -> Body:
    return Body(tuple(part for item in path for part in item.split(".")))


def exchange_property(name: str) -> ExchangeProperty:
    return ExchangeProperty(name)


def constant(value: Any) -> Constant:
    return Constant(value)


def ref(name: str) -> Ref:
    return Ref(name)


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    return value


# -- Simple ------------------------------------------------------------------------------

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "contains": lambda left, right: left is not None and right in left,
    "in": lambda left, right: right is not None and left in right,
}
_COMPARISON = re.compile(
    r"^\s*(?P<left>.+?)\s+(?P<op>==|!=|>=|<=|>|<|contains|in)\s+(?P<right>.+?)\s*$"
)
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_SINGLE_PLACEHOLDER = re.compile(r"^\$\{([^}]*)\}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_LITERALS = {"true": True, "false": False, "null": None}


def _placeholder(expression: str) -> Expression:
    name, _, rest = expression.strip().partition(".")
    if name == "body":
        return Body(tuple(rest.split(".")) if rest else ())
    if name in ("header", "headers") and rest:
        return Header(rest)
    if name == "exchangeProperty" and rest:
        return ExchangeProperty(rest)
    if name == "exchangeId" and not rest:
        return lambda exchange: exchange.id
    if name == "routeId" and not rest:
        return lambda exchange: exchange.route_id
    if name == "exception" and rest == "message":
        return lambda exchange: _maybe(str, exchange.caught_exception)
    if name == "exception" and rest == "type":
        return lambda exchange: _maybe(
            lambda error: type(error).__name__, exchange.caught_exception
        )
    raise ExpressionError(f"unknown placeholder ${{{expression}}}")


def _maybe(function: Callable[[BaseException], str], error: BaseException | None) -> str | None:
    return None if error is None else function(error)


def _operand(text: str) -> Expression:
    text = text.strip()
    single = _SINGLE_PLACEHOLDER.match(text)
    if single:
        return _placeholder(single.group(1))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return Constant(text[1:-1])
    if text in _LITERALS:
        return Constant(_LITERALS[text])
    if _NUMBER.match(text):
        return Constant(Decimal(text) if "." in text else int(text))
    raise ExpressionError(f"cannot read operand {text!r} (quote text literals)")


def _template(text: str) -> Expression:
    single = _SINGLE_PLACEHOLDER.match(text.strip())
    if single:
        return _placeholder(single.group(1))
    parts = [_placeholder(match) for match in _PLACEHOLDER.findall(text)]
    pieces = _PLACEHOLDER.split(text)[::2]

    def interpolate(exchange: Exchange) -> str:
        out = [pieces[0]]
        for part, piece in zip(parts, pieces[1:], strict=True):
            out += [str(part(exchange)), piece]
        return "".join(out)

    return interpolate


@dataclass(frozen=True)
class Simple:
    """A Simple-language expression; parsed once, when first built."""

    text: str
    _compiled: Expression = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", self._compile())

    def _compile(self) -> Expression:
        comparison = _COMPARISON.match(self.text)
        if comparison and not comparison.group("left").lstrip().startswith(("'", '"')):
            left, right = _operand(comparison["left"]), _operand(comparison["right"])
            compare = _OPERATORS[comparison["op"]]

            def evaluate(exchange: Exchange) -> bool:
                try:
                    return bool(compare(left(exchange), right(exchange)))
                except TypeError:
                    return False  # e.g. None > 3: not true, rather than a crash

            return evaluate
        return _template(self.text)

    def __call__(self, exchange: Exchange) -> Any:
        return self._compiled(exchange)


def simple(text: str) -> Simple:
    return Simple(text)
