"""What is wrong with a route file, said the way an integrator can act on: where (the
path to the key), why, and the spelling meant — a kebab-case key as Camel 4 spells it
(Camel 4.13 dropped kebab-case), an unknown one as the nearest accepted key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

Path = tuple[str | int, ...]


def camel(key: str) -> str:
    """``set-body`` → ``setBody``."""
    head, *rest = key.split("-")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def spelling_hint(key: str, accepted: Collection[str]) -> str:
    """What to write instead of ``key``, or "" when nothing is near."""
    if "-" in key and camel(key) in accepted:
        return f"write {camel(key)!r}: Camel 4 keys are camelCase (kebab-case went in 4.13)"
    if "-" in key:
        key = camel(key)
    close = difflib.get_close_matches(key, accepted, n=1, cutoff=0.6)
    if not close:
        folded = {name.casefold(): name for name in accepted}
        found = folded.get(key.replace("-", "").replace("_", "").casefold())
        close = [found] if found else []
    return f"did you mean {close[0]!r}?" if close else ""


def where(path: Path) -> str:
    """``route 'greet': from.steps[2].setBody``; ``entry [0]: routeConfiguration``."""
    parts = list(path)
    prefix = ""
    if parts and isinstance(parts[0], int):
        index, *parts = parts
        named = bool(parts) and str(parts[0]).startswith("route '")
        prefix = f"{parts.pop(0)}: " if named else f"entry [{index}]: "
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return prefix + (out or "(top)")


@dataclass
class Problems:
    """The problems of one file, each with the path it is at."""

    found: list[tuple[Path, str]] = field(default_factory=list)

    def add(self, path: Path, reason: str) -> None:
        self.found.append((path, reason))

    def unknown_key(self, path: Path, key: str, accepted: Iterable[str], what: str) -> None:
        names = sorted(accepted)
        hint = spelling_hint(key, names)
        self.add((*path, key), f"unknown {what} {key!r}" + (f"; {hint}" if hint else ""))

    def from_validation(self, path: Path, error: ValidationError, model: type[BaseModel]) -> None:
        """pydantic's errors of validating ``model`` at ``path``, each at its key, said
        in the route file's terms. Where a value may take several forms (``simple: text``
        or ``simple: {expression: ...}``), the form given is the one reported on."""
        details = [(_key_path(d["loc"]), d) for d in error.errors(include_url=False)]
        # Where an error lies deeper, the value was read in a form: its other forms' "must
        # be text" is noise.
        deeper = {at[:n] for at, d in details if d["type"] not in _KINDS for n in range(len(at))}
        reported: set[Path] = set()
        for loc, detail in details:
            if detail["type"] == "extra_forbidden":
                accepted = keys_of(model, loc[:-1])
                self.unknown_key((*path, *loc[:-1]), str(loc[-1]), accepted, "key")
            elif detail["type"] not in _KINDS:
                self.add((*path, *loc), _message(detail))
            elif loc not in deeper and loc not in reported:
                reported.add(loc)
                kinds = sorted(
                    {_KINDS[d["type"]] for at, d in details if at == loc and d["type"] in _KINDS}
                )
                self.add((*path, *loc), f"must be {' or '.join(kinds)} (got {_shown(detail)})")


def keys_of(model: type[BaseModel], loc: Path) -> list[str]:
    """The keys the model nested at ``loc`` in ``model`` accepts (by alias)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not _is_model(current):
            continue
        field = next(
            (f for name, f in current.model_fields.items() if (f.alias or name) == part), None
        )
        current = _model_in(field.annotation) if field is not None else None
    if not _is_model(current):
        return []
    return [field.alias or name for name, field in current.model_fields.items()]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The model a field holds, through Optional, unions and lists."""
    if _is_model(annotation):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


# What a value must be, by pydantic's error type for a value of the wrong kind.
_KINDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "model_type": "a map",
    "model_attributes_type": "a map",
    "dict_type": "a map",
    "list_type": "a list",
}


def _key_path(loc: tuple[str | int, ...]) -> Path:
    """The keys of a pydantic location, without the names of a union's forms (``str``,
    ``LanguageSpec``): Camel's keys are camelCase, never capitalised or a type's name."""
    return tuple(
        part
        for part in loc
        if isinstance(part, int)
        or not (part[:1].isupper() or part in {"str", "int", "float", "bool"} or "[" in part)
    )


def _shown(detail: Any) -> str:
    shown = repr(detail["input"])
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _message(detail: Any) -> str:
    """A pydantic error in the route file's terms."""
    context = detail.get("ctx") or {}
    match detail["type"]:
        case "missing":
            return "is required"
        case "literal_error" | "enum":
            return f"must be one of {context['expected']} (got {_shown(detail)})"
        case "greater_than_equal":
            return f"must be at least {context['ge']} (got {_shown(detail)})"
        case "less_than_equal":
            return f"must be at most {context['le']} (got {_shown(detail)})"
        case "greater_than":
            return f"must be more than {context['gt']} (got {_shown(detail)})"
        case "too_short":
            count = context["min_length"]
            return f"needs at least {count} item{'s' if count != 1 else ''}"
    return re.sub(r"^(Value|Assertion) error, ", "", detail["msg"])
