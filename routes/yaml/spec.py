"""The base of every YAML spec: Camel 4's camelCase keys (the field's name in camelCase
is its key), nothing else accepted, values read once."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

from endpoints.durations import milliseconds


class Spec(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True
    )


class Node(Spec):
    """What every step of Camel's has: an id and notes for people, and ``disabled``,
    which leaves the step out of the route."""

    id: str | None = None
    description: str | None = None
    note: str | None = None
    disabled: bool = False


def _seconds(value: Any) -> float:
    return milliseconds(value) / 1000


# A time as Camel's YAML writes it (milliseconds, or with units: 5s, 500ms), in seconds.
Seconds = Annotated[
    float,
    BeforeValidator(_seconds),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {"type": "string", "pattern": r"^(\d+(\.\d+)?(ms|d|h|m|s)?)+$"},
            ],
            "description": "milliseconds, or a duration with units: 5s, 1m30s, 500ms",
        }
    ),
]

# Steps nested in a step: parsed one by one by ``routes.yaml.steps``, not by pydantic,
# so that each is validated by its own spec and its errors say where it is.
RawSteps = Annotated[
    list[dict[str, Any]] | None, WithJsonSchema({"allOf": [{"$ref": "#/$defs/steps"}]})
]

# ``- onException: {...}`` items, as a routeConfiguration lists them.
OnExceptionList = Annotated[
    list[dict[str, Any]], WithJsonSchema({"allOf": [{"$ref": "#/$defs/onExceptionList"}]})
]
