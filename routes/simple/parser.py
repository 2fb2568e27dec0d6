"""Reading a Simple text as a template or as a predicate, the way Camel reads it.

A *template* is literal text with functions: exactly one function gives its value
itself, anything else the text with each value rendered (null as nothing). A
*predicate* is ``operand OP operand`` joined by ``&&``/``||``: as Camel's parser
links them, left to right with equal precedence (``a || b && c`` is ``(a || b) && c``),
each evaluated only if needed; Simple has no parentheses. An operand is a function,
quoted text (which may hold functions), a number, ``true``, ``false`` or ``null``;
unquoted words are refused, as Camel refuses them. A text is read as a predicate when
it starts with an operand and holds an operator (and parses as one: see
``compile_text``); otherwise it is a template. As Camel's DSL does by default, the
text is trimmed first.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from endpoints.exchange import Exchange
from routes.expressions import Expression, ExpressionError
from routes.simple.coercion import numeric_text, predicate_value
from routes.simple.context import Env
from routes.simple.functions import compile_function
from routes.simple.lexer import LOGICAL, OPERANDS, Kind, Token, tokenize
from routes.simple.operators import OPERATORS, Operand, binary
from routes.simple.rendering import render
from routes.simple.source import OPENERS, Fragment, Piece, Source, java_trim, template_pieces

Predicate = Callable[[Exchange], bool]

_UNSUPPORTED = {
    "?": "the ternary operator (a ? b : c) is not supported",
    ":": "the ternary operator (a ? b : c) is not supported",
    "?:": "the elvis operator (a ?: b) is not supported",
    "~>": "the chain operator (~>) is not supported",
    "?~>": "the chain operator (?~>) is not supported",
    "++": "the unary operator ++ is not supported",
    "--": "the unary operator -- is not supported",
    "not": "write !in, !contains, !regex, !is or !range",
    "and": "write &&",
    "or": "write ||",
    "=": "write ==",
    "===": "write ==",
    "<>": "write !=",
}
_OPERAND = "quote text ('...'), or use ${...}, a number, true, false or null"
_TEXT_OR_FUNCTION = frozenset({Kind.QUOTED, Kind.FUNCTION})
_RIGHT_KINDS = {  # Camel takes a literal or a function there (and 100..199 after range)
    "regex": _TEXT_OR_FUNCTION,
    "is": _TEXT_OR_FUNCTION,
    "range": _TEXT_OR_FUNCTION | {Kind.NUMBER},
}
_SYMBOLS = tuple(o for o in (*OPERATORS, *LOGICAL) if not o[0].isalpha())  # ==, &&, !in, ...


@dataclass(frozen=True)
class Compiled:
    """The expression, and why the text is no predicate if Camel would refuse it as one."""

    evaluate: Expression
    not_a_predicate: ExpressionError | None = None


def compile_text(text: str, env: Env, trim: bool = True) -> Compiled:
    """Read the text as described above.

    A text that opens like a predicate and holds an operator, but fails the predicate
    grammar on plain words (``${body[name]} is ${body[age]} years old``), is what Camel's
    expression parser makes of it, a template; Camel's predicate parser refuses it, and
    so does ``matches``. If it fails on a misspelt or misplaced operator (``===``,
    ``?:``, a parenthesis), it is refused outright.
    """
    start, stop = java_trim(text) if trim else (0, len(text))
    fragment = Fragment.of(Source(text), start, stop)
    if fragment.text.startswith("resource:"):  # Camel would load the text from there
        raise fragment.error(0, "loading a script from a resource is not supported")
    tokens = tokenize(fragment)
    apart = [token for token in tokens if not _glued(token, fragment.text)]
    symbols = any(map(_stray_symbol, apart))
    operators = any(token.kind in (Kind.BINARY, Kind.LOGICAL) for token in tokens)
    if not tokens or not _opens_predicate(tokens[0]) or not (symbols or operators):
        return Compiled(_template(fragment, env, escapes=True))
    try:
        return Compiled(_Predicate(fragment, tokens, env).parse())
    except ExpressionError as error:
        if symbols or any(token.text.startswith(("(", ")")) for token in apart):
            raise
        return Compiled(_template(fragment, env, escapes=True), not_a_predicate=error)


def _opens_predicate(token: Token) -> bool:
    """An operand, or a parenthesis, which Simple lacks but a predicate may try."""
    return token.kind in OPERANDS or (token.kind is Kind.WORD and token.text.startswith("("))


def _glued(token: Token, text: str) -> bool:
    """Whether the token follows its predecessor without a space (``${name}!``)."""
    return token.start > 0 and not text[token.start - 1].isspace()


def _stray_symbol(token: Token) -> bool:
    """A word that can only be a misspelt or misplaced operator: ``===``, ``==1``, ``?:``,
    a trailing ``==``; rather refused than printed, letting a filter pass anything."""
    word = token.text
    if token.kind is not Kind.WORD:
        return False
    unsupported = word in _UNSUPPORTED and not word.isalpha()  # not, and, or: plain words
    return unsupported or word.startswith(_SYMBOLS) or word[0] in "=<>!~"


def _template(fragment: Fragment, env: Env, escapes: bool) -> Expression:
    pieces = template_pieces(fragment, escapes)
    _refuse_unary(pieces)
    if len(pieces) == 1 and pieces[0].function:
        return compile_function(pieces[0].fragment, env)
    parts = [
        compile_function(p.fragment, env) if p.function else _constant(p.fragment.text)
        for p in pieces
    ]
    if len(parts) <= 1:
        return _constant("".join(piece.fragment.text for piece in pieces))
    return lambda exchange: "".join(render(part(exchange)) or "" for part in parts)


def _constant(value: Any) -> Expression:
    return lambda exchange: value


def _refuse_unary(pieces: list[Piece]) -> None:
    """Camel reads ``${x}++`` as an increment; printing ``5++`` instead would be wrong."""
    for before, piece in itertools.pairwise(pieces):
        text = piece.fragment.text
        if before.function and text[:2] in ("++", "--") and text[2:3].strip() == "":
            raise piece.fragment.error(0, _UNSUPPORTED[text[:2]])


class _Predicate:
    def __init__(self, fragment: Fragment, tokens: list[Token], env: Env) -> None:
        self.fragment, self.tokens, self.env, self.next = fragment, tokens, env, 0

    def parse(self) -> Predicate:
        predicate = self._condition()
        while self.next < len(self.tokens):
            token = self._take()
            if token.kind is not Kind.LOGICAL:
                raise self._unexpected(token)
            right = self._condition()
            predicate = _and(predicate, right) if token.text == "&&" else _or(predicate, right)
        return predicate

    def _condition(self) -> Predicate:
        left = self._operand(self._take_operand(), raw=False)
        following = self.tokens[self.next] if self.next < len(self.tokens) else None
        if following is None or following.kind is not Kind.BINARY:
            return lambda exchange: predicate_value(left.value(exchange))
        operator = self._take()
        token = self._take_operand()
        name = operator.text.removeprefix("!")
        if token.kind not in _RIGHT_KINDS.get(name, OPERANDS):
            message = f"{operator.text!r} needs quoted text or a function on its right"
            raise self.fragment.error(token.start, f"{message}, not {token.text!r}")
        # a quoted pattern is taken as written: its ${ and } are regex, not functions
        return binary(operator.text, left, self._operand(token, raw=name == "regex"))

    def _take(self) -> Token:
        token = self.tokens[self.next]
        self.next += 1
        return token

    def _take_operand(self) -> Token:
        # an operator is followed by whitespace, and the text is trimmed: a token follows
        token = self._take()
        if token.kind not in OPERANDS:
            raise self._unexpected(token)
        return token

    def _operand(self, token: Token, raw: bool) -> Operand:
        def fail(message: str, hint: str) -> ExpressionError:
            return self.fragment.error(token.start, message, hint)

        if token.kind is Kind.FUNCTION and token.inner is not None:
            return Operand(compile_function(token.inner, self.env), False, None, fail)
        if token.kind is Kind.QUOTED and token.inner is not None:
            inner = token.inner
            if raw or not any(opener in inner.text for opener in OPENERS):
                return Operand(_constant(inner.text), True, inner.text, fail)
            return Operand(_template(inner, self.env, escapes=False), False, None, fail)
        value: Any = {"true": True, "false": False, "null": None}.get(token.text, token.text)
        number = numeric_text(token.text) if token.kind is Kind.NUMBER else None
        value = value if number is None else number  # 100..199 or 1,2 stay text
        return Operand(_constant(value), True, value, fail)

    def _unexpected(self, token: Token) -> ExpressionError:
        if token.error is not None:
            return token.error
        text = token.text
        if token.kind is not Kind.WORD:
            hint = "a predicate is operand OP operand, joined by && or ||"
            return self.fragment.error(token.start, f"unexpected {token.kind.value} {text!r}", hint)
        if text in _UNSUPPORTED:
            return self.fragment.error(token.start, f"unsupported {text!r}", _UNSUPPORTED[text])
        if text in (*OPERATORS, *LOGICAL) or text.startswith(_SYMBOLS):
            hint = "an operator needs whitespace on both sides and an operand after it"
            return self.fragment.error(token.start, f"misplaced operator in {text!r}", hint)
        if text.startswith(("(", ")")):
            hint = "Simple has no parentheses: && and || apply from left to right"
            return self.fragment.error(token.start, f"unexpected {text[0]!r}", hint)
        if not any(char.isalnum() for char in text):
            hint = f"supported operators: {' '.join(sorted(OPERATORS))}"
            return self.fragment.error(token.start, f"unknown operator {text!r}", hint)
        return self.fragment.error(token.start, f"unquoted text {text!r}", _OPERAND)


def _and(left: Predicate, right: Predicate) -> Predicate:
    return lambda exchange: left(exchange) and right(exchange)


def _or(left: Predicate, right: Predicate) -> Predicate:
    return lambda exchange: left(exchange) or right(exchange)
