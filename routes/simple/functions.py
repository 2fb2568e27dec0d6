"""The functions inside ``${...}``: which exist here, and what each reads from the exchange.

The names and spellings are Camel's (``body``, ``in.body``, ``header.x``, ``header[x]``,
``headers:x``, ``exchangeProperty[a.b]``, ``date:now:yyyyMMdd``, ...), each followed by
an optional OGNL path. Header names are case-insensitive, as in Camel (the exact name
first); exchange properties are not. As in Camel, ``${header.a.b}`` reads the header
``a.b`` if there is one, else the path ``.b`` on the header ``a``. A function outside
the subset is refused when the expression is built, naming it and its column.
"""

from __future__ import annotations

import difflib
import re
import traceback
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from endpoints.exchange import Exchange
from routes.expressions import Expression, ExpressionError
from routes.simple.arguments import Nested, parse_arguments
from routes.simple.coercion import convert
from routes.simple.context import Env
from routes.simple.dates import compile_date
from routes.simple.ognl import Path, parse_path
from routes.simple.source import Fragment

Lookup = Callable[[Exchange, str], Any]

_NAME = re.compile(r"[^.\[?()\s]+")
_LEADING = re.compile(r"[A-Za-z][\w-]*")
_LITERAL_BOUNDS = re.compile(r"\s*\d+\s*(?:,\s*\d+\s*)?")
_SUPPORTED = (
    "supported: body, body.PATH, bodyAs(Type), header.NAME, headers, exchangeProperty.NAME, "
    "exchangeId, id, routeId, exception, exception.message, exception.stacktrace, "
    "date:COMMAND[:PATTERN], random(max), random(min,max), null"
)
_KNOWN = [  # for "did you mean"
    *("body", "bodyAs", "header", "headers", "exchangeProperty", "exchangeId", "id", "routeId"),
    *("exception", "date", "random", "null", "in"),
]
_ALTERNATIVES = {
    "uppercase": "${body.toUpperCase()}",
    "lowercase": "${body.toLowerCase()}",
    "trim": "${body.trim()}",
    "length": "${body.length()}",
    "size": "${body.size()}",
    "isEmpty": "${body.isEmpty()}",
    "substring": "${body.substring(begin,end)} (Java's meaning, not Camel's function's)",
}
_CAMEL_ONLY = frozenset(
    (
        *_ALTERNATIVES,
        *("variable", "variables", "variableAs", "headerAs", "messageAs", "mandatoryBodyAs"),
        *("bodyOneLine", "prettyBody", "originalBody", "bodyType", "camelId", "camelContext"),
        *("exchange", "messageTimestamp", "sys", "sysenv", "env", "date-with-timezone"),
        *("bean", "properties", "propertiesExist", "ref", "type", "fromRouteId", "routeGroup"),
        *("stepId", "threadId", "threadName", "hostname", "empty", "createEmpty", "replace"),
        *("collate", "skip", "join", "messageHistory", "uuid", "hash", "jsonpath", "jq"),
        *("xpath", "pretty", "convertTo", "concat", "contains", "iif", "not", "split", "sum"),
    )
)
_BODY_TYPES: dict[str, type] = {
    "String": str,
    "Integer": int,
    "Long": int,
    "Double": float,
    "Boolean": bool,
    "java.math.BigDecimal": Decimal,
}
_BODY_TYPES |= {
    f"java.lang.{name}": _BODY_TYPES[name]
    for name in ("String", "Integer", "Long", "Double", "Boolean")
}


def _header(exchange: Exchange, name: str) -> Any:
    """A header by name, the exact name first, else ignoring case, as Camel's headers;
    without one, the exchange property of that name, as Camel's header expression."""
    headers = exchange.headers
    if name in headers:
        return headers[name]
    folded = name.casefold()
    found = next((v for k, v in headers.items() if str(k).casefold() == folded), None)
    return exchange.properties.get(name) if found is None else found


def _property(exchange: Exchange, name: str) -> Any:
    return exchange.properties.get(name)


def _read(exchange: Exchange, kind: str, name: str) -> Any:
    return _header(exchange, name) if kind == "header" else _property(exchange, name)


def _stacktrace(exchange: Exchange) -> str | None:
    error = exchange.caught_exception
    return None if error is None else "".join(traceback.format_exception(error))


_DIRECT: dict[str, Expression] = {
    "body": lambda exchange: exchange.body,
    "in.body": lambda exchange: exchange.body,
    "id": lambda exchange: exchange.id,  # one message per exchange: its id is the exchange's
    "exchangeId": lambda exchange: exchange.id,
    "routeId": lambda exchange: exchange.route_id,
    "null": lambda exchange: None,
    "headers": lambda exchange: exchange.headers,
    "in.headers": lambda exchange: exchange.headers,
    **dict.fromkeys(
        ("headers.size", "headers.size()", "headers.length", "headers.length()"),
        lambda exchange: len(exchange.headers),
    ),
    "exception": lambda exchange: exchange.caught_exception,
    "exception.stacktrace": _stacktrace,
}
_HEADERS = ("in.headers", "in.header", "headers", "header")


def compile_function(body: Fragment, env: Env) -> Expression:
    text = body.text

    def nested(fragment: Fragment) -> Expression:
        return compile_function(fragment, env)

    if text in _DIRECT:
        return _DIRECT[text]
    if text.startswith("bodyAs("):
        return _body_as(body, nested)
    for prefix in ("body", "in.body", "exception"):
        read = _DIRECT[prefix]
        if text.startswith(prefix) and text[len(prefix) : len(prefix) + 1] in (".", "?", "["):
            return _walk(read, parse_path(body, len(prefix), nested))
    for prefix, lookup in (
        *((name, _header) for name in _HEADERS),
        ("exchangeProperty", _property),
    ):
        if text.startswith(prefix) and text[len(prefix) : len(prefix) + 1] in (".", ":", "["):
            return _keyed(body, len(prefix), lookup, nested)
    if text.startswith("date:"):
        return compile_date(body.slice(len("date:"), len(text)), env, _read)
    if text.startswith("random(") and text.endswith(")"):
        return _random(body.slice(len("random("), len(text) - 1), env, nested)
    raise _unknown(body)


def _walk(read: Expression, path: Path) -> Expression:
    return lambda exchange: path(exchange, read(exchange))


def _keyed(body: Fragment, start: int, lookup: Lookup, nested: Nested) -> Expression:
    text, what = body.text, body.text[:start]
    if text[start] == "[":
        close = text.find("]", start)
        key = text[start + 1 : close].strip().strip("'\"") if close > 0 else ""
        path_start, full = close + 1, None
    else:
        name = _NAME.match(text, start + 1)
        key = name[0] if name else ""
        path_start = name.end() if name else start + 1
        full = text[start + 1 :] if path_start < len(text) else None
    if not key or "${" in key:
        raise body.error(start + 1, f"{what} needs a fixed name", f"write ${{{what}.name}}")
    path = parse_path(body, path_start, nested)

    def evaluate(exchange: Exchange) -> Any:
        whole = None if full is None else lookup(exchange, full)  # Camel tries the full name first
        return path(exchange, lookup(exchange, key)) if whole is None else whole

    return evaluate


def _body_as(body: Fragment, nested: Nested) -> Expression:
    close = body.text.find(")")
    name = body.text[len("bodyAs(") : close].strip().strip("'\"") if close > 0 else ""
    target = _BODY_TYPES.get(name)
    if target is None:
        hint = f"supported types: {', '.join(_BODY_TYPES)}"
        raise body.error(len("bodyAs("), f"unsupported type {name!r} in bodyAs(...)", hint)
    path = parse_path(body, close + 1, nested)
    return _walk(lambda exchange: convert(exchange.body, target), path)


def _random(arguments: Fragment, env: Env, nested: Nested) -> Expression:
    parts = parse_arguments(arguments, nested)
    if len(parts) not in (1, 2):
        raise arguments.error(0, f"random(...) takes 1 or 2 arguments, not {len(parts)}")
    if _LITERAL_BOUNDS.fullmatch(arguments.text):
        try:
            _bounds([int(part) for part in arguments.text.split(",")])
        except ExpressionError as error:
            raise arguments.error(0, str(error)) from error

    def evaluate(exchange: Exchange) -> int:
        low, high = _bounds([convert(part(exchange), int) for part in parts])
        return env.rng.randrange(low, high)

    return evaluate


def _bounds(values: list[Any]) -> tuple[int, int]:
    """Camel's random(max) is 0 (included) to max (excluded); random(min,max) likewise."""
    low, high = (0, *values) if len(values) == 1 else values
    if low is None or high is None or low >= high:
        raise ExpressionError(f"random bounds must satisfy min < max, got {low}, {high}")
    return low, high


def _unknown(body: Fragment) -> ExpressionError:
    text = body.text
    leading = _LEADING.match(text)
    name = leading[0] if leading else text
    if name in ("header", "exchangeProperty") and text == name:
        return body.error(0, f"{name} needs a name", f"write ${{{name}.name}}")
    if name in _CAMEL_ONLY:
        alternative = _ALTERNATIVES.get(name)
        hint = f"use {alternative}" if alternative else _SUPPORTED
        return body.error(0, f"Camel's function {text!r} is not supported here", hint)
    guesses = difflib.get_close_matches(name, _KNOWN, n=1)
    hint = (f"did you mean {guesses[0]!r}? " if guesses else "") + _SUPPORTED
    return body.error(0, f"unknown function {text!r}", hint)
