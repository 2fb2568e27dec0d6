"""The JSON Schema of route files (``schemas/routes/camel-yaml-dsl.schema.json``): it is
the one the loader's specs generate, and it tells an editor what the loader says."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from routes.yaml.schema import REGENERATE, SCHEMA_FILE, render
from tests.engine.test_camel_docs import REFUSED

HERE = Path(__file__).parent


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(document: Any) -> list[str]:
    return [error.message for error in validator().iter_errors(document)]


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render(), f"stale: run {REGENERATE}"


def test_route_files_the_loader_takes_are_valid() -> None:
    assert problems(yaml.safe_load((HERE / "routes" / "twin.yaml").read_text())) == []
    for path in sorted((HERE / "camel_docs").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            if case["name"] not in REFUSED:
                assert problems(yaml.safe_load(case["route"])) == [], case["name"]


def test_a_misspelt_or_kebab_case_key_is_invalid() -> None:
    def route(step: dict[str, Any]) -> dict[str, Any]:
        return {"route": {"id": "r", "from": {"uri": "direct:a", "steps": [step]}}}

    assert problems([route({"set-body": {"constant": 1}})])
    assert problems([route({"setBody": {"constant": 1}})]) == []
    assert problems([{"route": {"id": "r", "from": {"uri": "direct:a"}, "onExceptoin": []}}])
