"""Bodies as JSON, the data format the components and the messages share.

JSON numbers with a fraction become ``Decimal`` (never float) and ``NaN``/``Infinity``
are refused; ``Decimal`` goes out as a string, dates and times in ISO 8601, and
pydantic models by their aliases, as an API with camelCase fields expects.

An object that names a member twice is refused (``RepeatedMember``): RFC 8259 leaves
which value counts to each reader, so a proxy keeping the first and this service the
last would read two different documents from the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

MemberPath = tuple[str | int, ...]


class RepeatedMember(ValueError):
    """A JSON object names a member more than once; ``paths`` locates each such member
    (member names and array indexes from the top, the repeated name last)."""

    def __init__(self, paths: Sequence[MemberPath]) -> None:
        self.paths = tuple(paths)
        first = self.paths[0]
        where = f" of the object at {json_pointer(first[:-1])}" if len(first) > 1 else ""
        more = f" (and {len(self.paths) - 1} more)" if len(self.paths) > 1 else ""
        super().__init__(
            f"member {json.dumps(first[-1])}{where} appears more than once{more}; "
            "each member name may appear once per object"
        )


def json_pointer(path: MemberPath) -> str:
    """RFC 6901: ``("items", 0, "a/b")`` is ``/items/0/a~1b``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


class _Repeated(dict[str, Any]):
    """An object with a repeated member, kept (last value wins) until the whole document
    is read, so the error can say where in it the member is."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.names: list[str] = []
        for name, _ in pairs:
            if name in seen and name not in self.names:
                self.names.append(name)
            seen.add(name)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def decode_json(data: bytes | str, charset: str = "utf-8") -> Any:
    """Parse JSON (bytes in ``charset``, or text); raises ValueError (bad encoding or
    syntax, nesting too deep, a member repeated — ``RepeatedMember``) naming the problem."""
    repeated = False

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeated
        document = dict(pairs)
        if len(document) == len(pairs):
            return document
        repeated = True
        return _Repeated(pairs)

    try:
        document = json.loads(
            data if isinstance(data, str) else data.decode(charset),
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=members,
        )
    except RecursionError:
        raise ValueError("the document nests arrays or objects too deeply") from None
    if repeated:
        raise RepeatedMember(_repeated_paths(document))
    return document


def _repeated_paths(document: Any) -> list[MemberPath]:
    """Every repeated member, in document order (iterative: as deep as the parser went)."""
    paths: list[MemberPath] = []
    stack: list[tuple[MemberPath, Any]] = [((), document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Repeated):
            paths += [(*path, name) for name in node.names]
        items = node.items() if isinstance(node, dict) else enumerate(node)
        stack += reversed(
            [((*path, key), child) for key, child in items if isinstance(child, dict | list)]
        )
    return paths


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_json(value: Any) -> bytes:
    return json.dumps(value, default=_jsonable, ensure_ascii=False, separators=(",", ":")).encode()
