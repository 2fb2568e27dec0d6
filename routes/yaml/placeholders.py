"""Camel's property placeholders in route files: ``{{name}}`` and ``{{name:default}}``
take a property's value, ``{{env:NAME}}`` and ``{{env:NAME:default}}`` an environment
variable's. A property is looked up in the properties the loader is given (the
settings), then in the environment as Camel maps names to variables (``gateway.url``
→ ``GATEWAY_URL``). A placeholder that resolves to nothing, with no default, is a
problem of the file at its key."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from routes.yaml.problems import Path, Problems

_PLACEHOLDER = re.compile(r"\{\{([^{}]+)\}\}")


@dataclass
class Placeholders:
    properties: Mapping[str, str]
    environ: Mapping[str, str]
    problems: Problems

    def resolve(self, value: Any, path: Path) -> Any:
        """``value`` (a part of a YAML document) with every placeholder replaced; one
        that cannot be is noted at its path and left as written."""
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda match: self._lookup(match.group(1), path), value)
        if isinstance(value, list):
            return [self.resolve(item, (*path, index)) for index, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: self.resolve(item, (*path, str(key))) for key, item in value.items()}
        return value

    def _lookup(self, text: str, path: Path) -> str:
        if text.startswith("env:"):
            name, _, default = text[4:].partition(":")
            found = self.environ.get(name.strip())
            kind = "environment variable"
        else:
            name, _, default = text.partition(":")
            name = name.strip()
            found = self.properties.get(name)
            if found is None:
                found = self.environ.get(re.sub(r"[^A-Za-z0-9]", "_", name).upper())
            kind = "property"
        if found is not None:
            return found
        if ":" in text.removeprefix("env:"):
            return default
        self.problems.add(
            path,
            f"the {kind} {name!r} of the placeholder {{{{{text}}}}} is not set "
            f"(give it, or a default: {{{{{text}:value}}}})",
        )
        return f"{{{{{text}}}}}"


def settings_properties(settings: Mapping[str, Any]) -> dict[str, str]:
    """The settings as placeholder properties: ``gateway_url`` is ``{{gateway.url}}``
    and ``{{gateway_url}}``; unset ones are absent."""
    found: dict[str, str] = {}
    for name, value in settings.items():
        if value is not None:
            found[name] = found[name.replace("_", ".")] = str(value)
    return found


def environment() -> Mapping[str, str]:
    return os.environ
