"""Apache Camel's Simple language: a documented subset, with Camel's semantics.

``simple("${header.kind} == 'card' && ${body.amount} > 100")`` reads the text once, when
built, and refuses (with ``ExpressionError``, naming the token and its column) anything
outside the subset, so a route never evaluates to None because a name was mistyped.
Called, it gives what Camel gives for an expression: one ``${...}`` gives its value
itself, text with functions gives a string, a predicate gives a bool. ``matches`` reads
the value as Camel reads a predicate (``predicate_value``), and refuses a text Camel's
predicate parser refuses. See ``parser`` for the grammar, ``functions`` and ``ognl``
for what a function may read, ``operators`` and ``coercion`` for how values compare.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from endpoints.exchange import Exchange
from routes.expressions import ExpressionError
from routes.simple.coercion import convert, predicate_value
from routes.simple.context import Env
from routes.simple.parser import Compiled, compile_text

__all__ = ["Simple", "predicate_value", "simple"]

_RESULT_TYPES: tuple[type, ...] = (str, int, float, Decimal, bool)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Simple:
    """A Simple expression; equal to another with the same text and result type."""

    text: str
    result_type: type | None = None
    trim: bool = True  # Camel's: the text without the whitespace around it
    clock: Callable[[], datetime] | None = field(default=None, compare=False, repr=False)
    rng: random.Random | None = field(default=None, compare=False, repr=False)
    _compiled: Compiled = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise ExpressionError(f"a simple expression is text, not {type(self.text).__name__}")
        if self.result_type is not None and self.result_type not in _RESULT_TYPES:
            names = ", ".join(kind.__name__ for kind in _RESULT_TYPES)
            raise ExpressionError(f"unsupported result type {self.result_type!r} (use {names})")
        env = Env(self.clock or _now, self.rng or random.Random())
        object.__setattr__(self, "_compiled", compile_text(self.text, env, self.trim))

    def __call__(self, exchange: Exchange) -> Any:
        """The value, converted to ``result_type`` if given.

        As in Camel, a ``bool`` result type reads the text as a predicate (``matches``).
        """
        if self.result_type is bool:
            return self.matches(exchange)
        value = self._compiled.evaluate(exchange)
        if self.result_type is None:
            return value
        try:
            return convert(value, self.result_type)
        except ExpressionError as error:
            raise ExpressionError(f"simple {self.text!r}: {error}") from error

    def matches(self, exchange: Exchange) -> bool:
        """The value read as Camel reads a predicate (``predicate_value``).

        A text Camel's predicate parser refuses, though a valid template (an operator
        with plain words around it), is refused here too, with the parser's message.
        """
        refusal = self._compiled.not_a_predicate
        if refusal is not None:
            raise ExpressionError(f"not a predicate: {refusal}")
        return predicate_value(self._compiled.evaluate(exchange))


def simple(
    text: str,
    result_type: type | None = None,
    *,
    trim: bool = True,
    clock: Callable[[], datetime] | None = None,
    rng: random.Random | None = None,
) -> Simple:
    return Simple(text, result_type, trim, clock=clock, rng=rng)
