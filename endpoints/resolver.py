"""Which component serves which URI scheme (Camel's ComponentResolver).

Built-in schemes map to ``"module:Class"`` strings imported only when a route uses
them (as Faust's transport registry does), so ``kafka:`` costs nothing to a process
that never touches Kafka, and the engine finds its components without importing
``components/``. Plugins register their own schemes, or add a component made ready.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from endpoints.component import Component
from endpoints.errors import EndpointError

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


class ComponentResolver:
    """One component per scheme, made with its defaults the first time a URI names it."""

    def __init__(self, targets: Mapping[str, str] = BUILTIN_COMPONENTS) -> None:
        self._targets = dict(targets)
        self._components: dict[str, Component[Any]] = {}

    def register(self, scheme: str, target: str) -> None:
        """Make ``scheme`` load ``"module:Class"`` on first use."""
        self._targets[scheme] = target

    def add(self, scheme: str, component: Component[Any]) -> None:
        self._components[scheme] = component

    def resolve(self, scheme: str, uri: str) -> Component[Any]:
        """The component of ``scheme``; an EndpointError naming ``uri`` if none is known."""
        if scheme not in self._components:
            if scheme not in self._targets:
                known = ", ".join(sorted({*self._targets, *self._components}))
                raise EndpointError(uri, f"unknown scheme {scheme!r} (known: {known})")
            module_name, _, class_name = self._targets[scheme].partition(":")
            component_class = getattr(importlib.import_module(module_name), class_name)
            self._components[scheme] = component_class()
        return self._components[scheme]

    def resolved(self) -> list[Component[Any]]:
        """The components made or added so far, in that order."""
        return list(self._components.values())
