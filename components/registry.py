"""Which component serves which URI scheme.

Built-in schemes map to ``"module:Class"`` strings imported only when a route uses
them (as Faust's transport registry does), so ``kafka:`` costs nothing to a
process that never touches Kafka. Plugins register their own schemes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from components.base import Component

BUILTIN_COMPONENTS: Mapping[str, str] = {
    "direct": "components.direct:DirectComponent",
    "seda": "components.seda:SedaComponent",
    "log": "components.log:LogComponent",
    "mock": "components.mock:MockComponent",
    "timer": "components.timer:TimerComponent",
    "kafka": "components.kafka:KafkaComponent",
    "mongodb": "components.mongodb:MongoComponent",
    "http": "components.http:HttpComponent",
}


def load_component(scheme: str, registry: Mapping[str, str] = BUILTIN_COMPONENTS) -> Component[Any]:
    """Instantiate the component registered for ``scheme`` with its defaults."""
    target = registry[scheme]
    module_name, _, class_name = target.partition(":")
    component_class = getattr(importlib.import_module(module_name), class_name)
    component: Component[Any] = component_class()
    return component
