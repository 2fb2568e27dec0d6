"""The message contracts as files in ``schemas/``: a JSON Schema per message and major
(what a reader of that major accepts) and the AsyncAPI document of the topics. They
are generated from the models, so they cannot drift from the code unnoticed: a test
compares them with what this module renders.

    python -m payments.contracts      # rewrites schemas/ from the models
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from payments.contracts.asyncapi import document, schema_file
from payments.domain.messages import MESSAGES, Message

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ASYNCAPI_FILE = "asyncapi.yaml"
REGENERATE = "python -m payments.contracts"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(model: type[Message]) -> dict[str, Any]:
    """The JSON Schema a reader of the model's major accepts (validation mode: fields
    with a default may be absent; fields the model does not know are allowed)."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:payorch:schemas:{schema_file(model)}",
        **model.model_json_schema(by_alias=True),
    }


def render() -> dict[str, str]:
    """Every contract file, by name, exactly as committed: keys sorted, one newline
    at the end, so the same models give the same bytes."""
    files = {
        schema_file(model): json.dumps(json_schema(model), indent=2, sort_keys=True) + "\n"
        for model in MESSAGES
    }
    files[ASYNCAPI_FILE] = yaml.safe_dump(document(), sort_keys=True, allow_unicode=True, width=100)
    return files


def write(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Write the rendered files and remove any other contract file (a renamed message
    leaves none behind); the names of those changed."""
    directory.mkdir(parents=True, exist_ok=True)
    rendered = render()
    changed = []
    for stale in sorted({*directory.glob("*.json"), *directory.glob("*.yaml")}):
        if stale.name not in rendered:
            stale.unlink()
            changed.append(stale.name)
    for name, text in rendered.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(name)
    return changed


def main() -> int:
    changed = write()
    for name in changed:
        print(f"{SCHEMAS_DIR.name}/{name}")
    print(f"{len(changed)} contract file(s) changed", file=sys.stderr)
    return 0
