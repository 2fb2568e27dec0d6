"""Beans named in a route file: Python classes and callables by their dotted path, as
Camel binds Java types by class name, and Camel's own classes that the engine has an
equivalent of, by Camel's name."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from routes.eips.aggregator import grouped_bodies, grouped_exchanges, latest
from routes.idempotent import MemoryIdempotentRepository

_AGGREGATE = "org.apache.camel.processor.aggregate."
CAMEL_TYPES: dict[str, Callable[..., Any]] = {
    "org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository": (
        lambda cacheSize=1000: MemoryIdempotentRepository(cacheSize)
    ),
    _AGGREGATE + "GroupedBodyAggregationStrategy": lambda: grouped_bodies,
    _AGGREGATE + "GroupedExchangeAggregationStrategy": lambda: grouped_exchanges,
    _AGGREGATE + "UseLatestAggregationStrategy": lambda: latest,
}


def bean(type_name: str, properties: Mapping[str, Any]) -> Any:
    """The bean ``type_name`` names (``module:attribute``, ``module.attribute``,
    ``#class:module.Class``, or a Camel class of ``CAMEL_TYPES``): a class made with
    ``properties``, or a callable as it is."""
    dotted = type_name.removeprefix("#class:")
    if dotted in CAMEL_TYPES:
        return CAMEL_TYPES[dotted](**properties)
    module_name, sep, attribute = dotted.partition(":")
    if not sep:
        module_name, _, attribute = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError):
        raise ValueError(f"no Python class or callable {type_name!r} (module:name)") from None
    if isinstance(found, type):
        return found(**properties)
    if properties:
        raise ValueError(f"{type_name!r} is no class: it takes no properties")
    if not callable(found):
        raise ValueError(f"{type_name!r} is neither a class nor a callable")
    return found
