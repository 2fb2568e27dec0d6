"""The JSON Schema of the route files this engine accepts, generated from the specs the
loader reads them with, so the two cannot drift (a test compares the committed file
with this one). An editor's YAML language server validates and completes route files
with it.

    python -m routes.yaml.schema      # rewrites schemas/routes/camel-yaml-dsl.schema.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from routes.yaml.handling import ErrorHandlerSpec, OnExceptionSpec
from routes.yaml.loader import BeanSpec, RouteConfigurationSpec, RouteSpec
from routes.yaml.options import EndpointSpec
from routes.yaml.steps import EIPS

SCHEMA_FILE = (
    Path(__file__).resolve().parents[2] / "schemas" / "routes" / "camel-yaml-dsl.schema.json"
)
REGENERATE = "python -m routes.yaml.schema"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _one_key(name: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: value},
        "required": [name],
        "additionalProperties": False,
    }


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{model.__name__}"}


class _AsTheLoaderReads(GenerateJsonSchema):
    """Booleans and whole numbers as the loader reads them: also as text (``"true"``,
    ``"10"``), as Camel's YAML DSL takes them."""

    def bool_schema(self, schema: core_schema.BoolSchema) -> JsonSchemaValue:
        return {"anyOf": [{"type": "boolean"}, {"type": "string", "enum": ["true", "false"]}]}

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        number = super().int_schema(schema)
        return {"anyOf": [number, {"type": "string", "pattern": r"^-?[0-9]+$"}]}


def schema() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        *{eip.spec for eip in EIPS.values()},
        RouteSpec,
        RouteConfigurationSpec,
        BeanSpec,
        ErrorHandlerSpec,
        OnExceptionSpec,
        EndpointSpec,
    ]
    _, definitions = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)],
        by_alias=True,
        ref_template="#/$defs/{model}",
        schema_generator=_AsTheLoaderReads,
    )
    defs: dict[str, Any] = definitions["$defs"]
    steps = []
    for name, eip in sorted(EIPS.items()):
        value: dict[str, Any] = _ref(eip.spec)
        if eip.shorthand is not None:
            value = {"anyOf": [value, {"type": "string"}]}
        elif not any(field.is_required() for field in eip.spec.model_fields.values()):
            value = {"anyOf": [value, {"type": "null"}]}  # stop: (or stop: {})
        steps.append(_one_key(name, value))
    defs["step"] = {"oneOf": steps}
    defs["steps"] = {"type": "array", "items": {"$ref": "#/$defs/step"}}
    defs["onExceptionList"] = {
        "type": "array",
        "items": _one_key("onException", _ref(OnExceptionSpec)),
    }
    defs["entry"] = {
        "oneOf": [
            _one_key("route", _ref(RouteSpec)),
            _one_key("from", defs["RouteSpec"]["properties"]["from"]),
            _one_key("routeConfiguration", _ref(RouteConfigurationSpec)),
            _one_key("beans", {"type": "array", "items": _ref(BeanSpec)}),
            _one_key("errorHandler", _ref(ErrorHandlerSpec)),
            _one_key("onException", _ref(OnExceptionSpec)),
        ]
    }
    return {
        "$schema": _DIALECT,
        "$id": "urn:payorch:schemas:routes:camel-yaml-dsl",
        "title": "Route files: Camel 4's YAML DSL as this engine accepts it",
        "type": "array",
        "items": {"$ref": "#/$defs/entry"},
        "$defs": dict(sorted(defs.items())),
    }


def render() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_FILE.parent.mkdir(parents=True, exist_ok=True)
    text = render()
    if not SCHEMA_FILE.exists() or SCHEMA_FILE.read_text(encoding="utf-8") != text:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"rewrote {SCHEMA_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
