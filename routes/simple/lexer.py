"""The tokens of a Simple predicate: operands, binary operators and ``&&``/``||``.

As in Camel's tokenizer, an operator counts only with whitespace on both sides
(``${a} == 1``; ``${a}==1`` is not a comparison), ``true``/``false``/``null`` are
values, a run of digits with dots or commas is a number (``100..199`` and ``1,2,3`` are
then read as text), and quoted text may hold functions. Whatever else is a ``WORD``:
the parser refuses it with a message, and a text whose first token is a word is a
template rather than a predicate (``Payment ${id} is late``). Tokenizing never fails;
an unterminated quote or function becomes a ``BROKEN`` token carrying its error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from routes.expressions import ExpressionError
from routes.simple.operators import OPERATORS
from routes.simple.source import Fragment, opener_length, read_function

LOGICAL = ("&&", "||")
_NUMBER = re.compile(r"-?\d[\d.,]*")


class Kind(Enum):
    FUNCTION = "function"
    QUOTED = "quoted text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    NULL = "null"
    BINARY = "operator"
    LOGICAL = "logical operator"
    WORD = "text"
    BROKEN = "unterminated"


OPERANDS = frozenset({Kind.FUNCTION, Kind.QUOTED, Kind.NUMBER, Kind.BOOLEAN, Kind.NULL})


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # as written
    start: int  # index in the fragment
    inner: Fragment | None = None  # a function's body, a quoted text's content
    error: ExpressionError | None = None  # why a BROKEN token is broken


def tokenize(fragment: Fragment) -> list[Token]:
    text, index = fragment.text, 0
    tokens: list[Token] = []
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return tokens
        try:
            token = _token(fragment, index)
        except ExpressionError as error:
            token = Token(Kind.BROKEN, text[index:], index, error=error)
        tokens.append(token)
        index += len(token.text)


def _token(fragment: Fragment, index: int) -> Token:
    text = fragment.text
    if opener_length(text, index):
        body, end = read_function(fragment, index, escapes=True)
        return Token(Kind.FUNCTION, text[index:end], index, body)
    if text[index] in "'\"":
        end = _quote_end(fragment, index)
        return Token(Kind.QUOTED, text[index : end + 1], index, fragment.slice(index + 1, end))
    operator = _operator(text, index)
    if operator:
        kind = Kind.LOGICAL if operator in LOGICAL else Kind.BINARY
        return Token(kind, operator, index)
    word = text[index : _word_end(fragment, index)]
    values = {"true": Kind.BOOLEAN, "false": Kind.BOOLEAN, "null": Kind.NULL}
    kind = Kind.NUMBER if _NUMBER.fullmatch(word) else values.get(word, Kind.WORD)
    return Token(kind, word, index)


def _operator(text: str, index: int) -> str | None:
    if index == 0 or not text[index - 1].isspace():
        return None
    for operator in (*OPERATORS, *LOGICAL):
        end = index + len(operator)
        if text.startswith(operator, index) and end < len(text) and text[end].isspace():
            return operator
    return None


def _quote_end(fragment: Fragment, start: int) -> int:
    """The index of the quote closing the one at ``start``; functions inside are skipped."""
    text, quote, index = fragment.text, fragment.text[start], start + 1
    while index < len(text):
        if opener_length(text, index):
            index = read_function(fragment, index, escapes=False)[1]
        elif text[index] == quote:
            return index
        else:
            index += 1
    raise fragment.error(start, f"quote {quote} has no closing {quote}")


def _word_end(fragment: Fragment, start: int) -> int:
    text, index = fragment.text, start
    while index < len(text) and not text[index].isspace():
        if opener_length(text, index):
            index = read_function(fragment, index, escapes=True)[1]
        else:
            index += 1
    return index
