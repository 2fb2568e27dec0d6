"""Expressions and predicates: how a route reads values out of an exchange.

In Python a plain callable ``(exchange) -> value`` is an expression. The classes here
are expressions that are also plain data, so a YAML route and its Python twin build
equal definitions: ``header("id")``, ``body("amount")``, ``constant(3)``, ``ref("fn")``
(a callable registered on the engine by name), ``method("bean", "name")`` and
``tokenize(",")``; Camel's Simple language is ``routes.simple``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from endpoints.exchange import Exchange

Expression = Callable[[Exchange], Any]


class ExpressionError(ValueError):
    """A Simple expression that cannot be parsed, or a placeholder naming nothing."""


@dataclass(frozen=True)
class Header:
    """Camel's header language: the header of that name, in any case; without one, the
    exchange property of that name, as in Camel."""

    name: str

    def __call__(self, exchange: Exchange) -> Any:
        found = exchange.message.header(self.name)
        return exchange.properties.get(self.name) if found is None else found


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


@dataclass(frozen=True)
class Method:
    """Camel's method language: the bean bound under ``name`` (its ``method``, if named),
    called with the exchange; resolved when the route is built, as a ``Ref`` is."""

    name: str
    method: str | None = None

    def __call__(self, exchange: Exchange) -> Any:
        raise ExpressionError(f"method {self.name!r} was not resolved before use")


@dataclass(frozen=True)
class Tokenize:
    """Camel's tokenize language: the body's text cut at ``token`` (a regular expression
    with ``regex``), empty parts left out."""

    token: str
    regex: bool = False
    skip_first: bool = False

    def __call__(self, exchange: Exchange) -> list[str]:
        body = exchange.body
        text = body.decode() if isinstance(body, bytes) else "" if body is None else str(body)
        parts = re.split(self.token, text) if self.regex else text.split(self.token)
        kept = [part for part in parts if part]
        return kept[1:] if self.skip_first else kept


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


def method(name: str, method_name: str | None = None) -> Method:
    return Method(name, method_name)


def tokenize(token: str, *, regex: bool = False, skip_first: bool = False) -> Tokenize:
    return Tokenize(token, regex, skip_first)


def _walk(value: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    return value
