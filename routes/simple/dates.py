"""``${date:command[:pattern]}``: Camel's date function, with Java's SimpleDateFormat patterns.

Camel hands the pattern to ``java.text.SimpleDateFormat``; Python's ``strftime`` speaks
another dialect, so the pattern is translated here, letter by letter, when the expression
is built: a letter outside the supported set is refused then, naming its column, rather
than printed wrong at run time. Names are English whatever the locale.

Camel formats in the JVM's default time zone; a datetime carries its own, so it is
formatted in that one (a naive datetime, and epoch millis, count as UTC).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from endpoints.exchange import Exchange
from routes.expressions import Expression, ExpressionError
from routes.simple.context import Env
from routes.simple.source import Fragment

Fail = Callable[[int, str, str], ExpressionError]
Read = Callable[[Exchange, str, str], Any]  # (exchange, "header" | "exchangeProperty", name)

_MONTHS = "January February March April May June July August September October November December"
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_LETTERS = "yMdHhmsSEazZX"
_SUPPORTED = "supported letters: y M d H h m s S E a z Z X, and 'quoted text'"
_JAVA_DATE = "EEE MMM dd HH:mm:ss zzz yyyy"  # how java.util.Date prints itself
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_OFFSET_START = re.compile(r"[+-]\s*\d")  # an offset starts with a digit: header.Last-Modified
_OFFSET = re.compile(r"([+-])\s*(\d[^+-]*)")
_DURATION = re.compile(r"(\d+)\s*(ms|[dhms])?\s*")
_UNITS = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1, None: 1}
_COMMANDS = "now, millis, exchangeCreated, header.NAME, exchangeProperty.NAME"

Field = str | tuple[str, int]  # literal text, or (pattern letter, repeat count)


@dataclass(frozen=True)
class DatePattern:
    fields: tuple[Field, ...]

    def __call__(self, moment: datetime) -> str:
        moment = _aware(moment)
        return "".join(f if isinstance(f, str) else _format(moment, *f) for f in self.fields)


def compile_pattern(pattern: str, fail: Fail) -> DatePattern:
    fields: list[Field] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            text, index = _quoted(pattern, index, fail)
            fields.append(text)
        elif char.isascii() and char.isalpha():
            count = len(pattern) - index - len(pattern[index:].lstrip(char))
            if char not in _LETTERS or (char == "X" and count > 3):
                raise fail(index, f"unsupported date pattern {char * count!r}", _SUPPORTED)
            fields.append((char, count))
            index += count
        else:
            fields.append(char)
            index += 1
    return DatePattern(tuple(fields))


def _quoted(pattern: str, start: int, fail: Fail) -> tuple[str, int]:
    """Quoted text (``''`` is a quote) and the index after it."""
    if pattern.startswith("''", start):
        return "'", start + 2
    text, index = [], start + 1
    while index < len(pattern):
        if pattern.startswith("''", index):
            text.append("'")
            index += 2
        elif pattern[index] == "'":
            return "".join(text), index + 1
        else:
            text.append(pattern[index])
            index += 1
    raise fail(start, "unterminated quote in date pattern", _SUPPORTED)


def _format(moment: datetime, letter: str, count: int) -> str:
    if letter == "E" or (letter == "M" and count >= 3):
        names = (_MONTHS if letter == "M" else _DAYS).split()
        name = names[moment.month - 1 if letter == "M" else moment.weekday()]
        return name if count >= 4 else name[:3]
    if letter in "zZX":
        return _zone(moment, letter, count)
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter == "y" and count == 2:
        return f"{moment.year % 100:02d}"
    number = {
        "y": moment.year,
        "M": moment.month,
        "d": moment.day,
        "H": moment.hour,
        "h": moment.hour % 12 or 12,
        "m": moment.minute,
        "s": moment.second,
        "S": moment.microsecond // 1000,
    }[letter]
    return f"{number:0{count}d}"


def _zone(moment: datetime, letter: str, count: int) -> str:
    offset = moment.utcoffset() or timedelta()
    minutes = offset // timedelta(minutes=1)
    sign, hours, minutes = "-" if minutes < 0 else "+", abs(minutes) // 60, abs(minutes) % 60
    if letter == "z":
        name = moment.tzname() or "UTC"
        return f"GMT{name[3:]}" if name.startswith("UTC") and len(name) > 3 else name
    if letter == "X" and not offset:
        return "Z"
    if letter == "X" and count == 1:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{':' if count == 3 else ''}{minutes:02d}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_java_date = compile_pattern(_JAVA_DATE, lambda index, message, hint: ExpressionError(message))


def java_date(moment: datetime) -> str:
    """A datetime printed as Camel prints a ``java.util.Date`` in a template."""
    return _java_date(moment)


def compile_date(rest: Fragment, env: Env, read: Read) -> Expression:
    """``rest``: what follows ``date:``, i.e. ``command[+-offsets][:pattern]``."""
    command_text, colon, pattern = rest.text.partition(":")
    start = _OFFSET_START.search(command_text)
    split = start.start() if start else len(command_text)
    command = command_text[:split].strip()
    offset = _offset(rest, split, command_text[split:])
    moment = _moment(rest, command, env, read)
    offset_from = len(command_text) + 1
    formatter = (
        compile_pattern(pattern, lambda i, msg, hint: rest.error(offset_from + i, msg, hint))
        if colon
        else None
    )

    def evaluate(exchange: Exchange) -> Any:
        value = moment(exchange) + offset
        if formatter is not None:
            return formatter(value)
        if command == "millis":
            return (_aware(value) - _EPOCH) // timedelta(milliseconds=1)
        return value

    return evaluate


def _offset(rest: Fragment, start: int, text: str) -> timedelta:
    total, index = 0, 0
    for match in _OFFSET.finditer(text):
        parts = list(_DURATION.finditer(match[2]))
        if match.start() != index or sum(len(p[0]) for p in parts) != len(match[2]):
            break
        sign = -1 if match[1] == "-" else 1
        total += sign * sum(int(p[1]) * _UNITS[p[2]] for p in parts)
        index = match.end()
    if index != len(text):
        hint = "offsets look like now-24h, now+1h30m or header.x-100 (d, h, m, s, ms; no unit: ms)"
        raise rest.error(start + index, f"invalid date offset {text[index:]!r}", hint)
    return timedelta(milliseconds=total)


def _moment(rest: Fragment, command: str, env: Env, read: Read) -> Callable[[Exchange], datetime]:
    if command in ("now", "millis"):
        return lambda exchange: env.clock()
    if command == "exchangeCreated":
        return lambda exchange: exchange.created_at
    kind, dot, _ = command.partition(".")
    if kind in ("header", "exchangeProperty") and dot:
        key = command.rsplit(".", 1)[1]  # Camel takes the name after the last dot
        return lambda exchange: _as_date(read(exchange, kind, key), rest.text, command)
    raise rest.error(0, f"unsupported date command {command!r}", f"supported: {_COMMANDS}")


def _as_date(value: Any, function: str, command: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _EPOCH + timedelta(milliseconds=value)
    found = "nothing" if value is None else type(value).__name__
    raise ExpressionError(
        f"${{date:{function}}}: cannot find a datetime or epoch-millis value at command "
        f"{command} (found {found})"
    )
