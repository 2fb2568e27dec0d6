"""Where each piece of a Simple text came from, so that every refusal names its column.

Camel reports a syntax error with the index of the offending token. Here the text is cut
into ``Fragment``s (a function's body, a quoted literal, a run of template text) whose
escapes are already resolved, as Camel's tokenizer resolves them; a fragment remembers
for each of its characters where it sat in the original text, so an error found deep in
a nested function still points at the right column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routes.expressions import ExpressionError

OPENERS = ("${", "$simple{")  # Camel's two spellings of a function's start
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "}": "}"}  # Camel's escapes; any other \ is text
JAVA_BLANKS = "".join(map(chr, range(33)))  # what Java's String.trim() removes


@dataclass(frozen=True)
class Source:
    """The whole text of one Simple expression."""

    text: str

    def error(self, index: int, message: str, hint: str = "") -> ExpressionError:
        line = self.text.count("\n", 0, index) + 1
        column = index - self.text.rfind("\n", 0, index)
        where = f"column {column}" if line == 1 else f"line {line}, column {column}"
        suffix = f"; {hint}" if hint else ""
        return ExpressionError(f"{message} at {where} of simple {self.text!r}{suffix}")


@dataclass(frozen=True)
class Fragment:
    """Text with, for each character and for its end, the index it came from in the source."""

    source: Source
    text: str
    origins: tuple[int, ...]  # len(text) + 1 entries

    @classmethod
    def of(cls, source: Source, start: int, stop: int) -> Fragment:
        return cls(source, source.text[start:stop], tuple(range(start, stop + 1)))

    def at(self, index: int) -> int:
        return self.origins[min(index, len(self.text))]

    def error(self, index: int, message: str, hint: str = "") -> ExpressionError:
        return self.source.error(self.at(index), message, hint)

    def slice(self, start: int, stop: int) -> Fragment:
        return Fragment(self.source, self.text[start:stop], self.origins[start : stop + 1])


class _Builder:
    """Collects characters (some of them unescaped) into a new Fragment."""

    def __init__(self, parent: Fragment) -> None:
        self.parent = parent
        self.chars: list[str] = []
        self.origins: list[int] = []

    def add(self, text: str, index: int) -> None:
        self.chars.append(text)
        self.origins.extend([self.parent.at(index)] * len(text))

    def build(self, end: int) -> Fragment:
        text = "".join(self.chars)
        return Fragment(self.parent.source, text, (*self.origins, self.parent.at(end)))


def opener_length(text: str, index: int) -> int:
    """The length of the function opener at ``index``, or 0."""
    return next((len(opener) for opener in OPENERS if text.startswith(opener, index)), 0)


def escape_at(text: str, index: int) -> str | None:
    """The character a Camel escape (``\\n``, ``\\t``, ``\\r``, ``\\}``) at ``index`` stands for."""
    if text[index] == "\\" and index + 1 < len(text):
        return _ESCAPES.get(text[index + 1])
    return None


def read_function(fragment: Fragment, start: int, escapes: bool) -> tuple[Fragment, int]:
    """The body of the function opening at ``start`` and the index just past its ``}``.

    Nested functions stay in the body as text (they are parsed where they are used);
    the first ``}`` that closes the outermost opener ends it, as in Camel.
    """
    text = fragment.text
    index = start + opener_length(text, start)
    body = _Builder(fragment)
    depth = 1
    while index < len(text):
        nested = opener_length(text, index)
        escaped = escape_at(text, index) if escapes else None
        if nested:
            depth += 1
            body.add(text[index : index + nested], index)
            index += nested
        elif escaped is not None:
            body.add(escaped, index)
            index += 2
        elif text[index] == "}" and depth == 1:
            return body.build(index), index + 1
        else:
            if text[index] == "}":
                depth -= 1
            body.add(text[index], index)
            index += 1
    opener = text[start : start + opener_length(text, start)]
    raise fragment.error(start, f"{opener!r} has no closing '}}'")


@dataclass(frozen=True)
class Piece:
    """A run of literal template text, or the body of one function."""

    fragment: Fragment
    function: bool


def template_pieces(fragment: Fragment, escapes: bool) -> list[Piece]:
    """Cut template text into literal runs and functions, resolving escapes if asked.

    A ``}`` outside any function is plain text, as in Camel (JSON templates need it).
    """
    text = fragment.text
    pieces: list[Piece] = []
    literal = _Builder(fragment)
    literal_start = 0
    index = 0
    while index < len(text):
        escaped = escape_at(text, index) if escapes else None
        if opener_length(text, index):
            pieces.extend(_literal(literal, index, literal_start))
            body, index = read_function(fragment, index, escapes)
            pieces.append(Piece(body, function=True))
            literal, literal_start = _Builder(fragment), index
        elif escaped is not None:
            literal.add(escaped, index)
            index += 2
        else:
            literal.add(text[index], index)
            index += 1
    pieces.extend(_literal(literal, index, literal_start))
    return pieces


def _literal(literal: _Builder, end: int, start: int) -> Iterable[Piece]:
    return [Piece(literal.build(end), function=False)] if end > start else []


def java_trim(text: str) -> tuple[int, int]:
    """The bounds of ``text`` without what Java's ``String.trim()`` removes."""
    start = len(text) - len(text.lstrip(JAVA_BLANKS))
    return start, max(start, len(text.rstrip(JAVA_BLANKS)))
