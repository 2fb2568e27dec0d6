"""A route as a graph of plain data: its source endpoint, its steps (branches nested)
and the endpoints it sends to, with its error handling; for diagrams and consoles.

It reads the same ``RouteDefinition`` the Python and the YAML DSL produce, so a YAML
route is drawn exactly like its Python twin. Credentials in endpoint URIs are masked:
a description is meant to be shown.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from endpoints.uri import EndpointUri, InvalidUri, mask_credentials
from routes.definition import (
    BatchStep,
    ChoiceStep,
    ErrorHandler,
    FilterStep,
    IdempotentConsumerStep,
    LogStep,
    OnException,
    ProcessStep,
    RemoveHeadersStep,
    RouteDefinition,
    SetBodyStep,
    SetHeaderStep,
    SplitStep,
    StepDefinition,
    ToStep,
    WireTapStep,
)
from routes.expressions import Body, Constant, ExchangeProperty, Header, Ref, Simple


@dataclass(frozen=True)
class StepNode:
    """One box of the diagram. ``kind`` is the step's YAML name (``to``, ``filter`` …),
    ``when``/``otherwise`` for the branches of a ``choice``; ``steps`` are nested."""

    kind: str
    label: str
    uris: tuple[str, ...] = ()
    steps: tuple[StepNode, ...] = ()


@dataclass(frozen=True)
class ExceptionNode:
    exceptions: tuple[str, ...]
    outcome: str  # "handled", "continued" or "failed" (after its steps)
    maximum_redeliveries: int
    steps: tuple[StepNode, ...] = ()


@dataclass(frozen=True)
class RouteGraph:
    route_id: str
    source: str  # "python", or the YAML file it was read from
    from_uri: str
    steps: tuple[StepNode, ...]
    on_exceptions: tuple[ExceptionNode, ...] = ()
    maximum_redeliveries: int = 0  # of the route's error handler
    dead_letter_uri: str | None = None

    def sends_to(self) -> list[str]:
        """Every endpoint the route may send to, in order of appearance, once each."""
        nested = [*self.steps, *(node for error in self.on_exceptions for node in error.steps)]
        uris = [uri for node in _walk(nested) for uri in node.uris]
        if self.dead_letter_uri:
            uris.append(self.dead_letter_uri)
        return list(dict.fromkeys(uris))


@dataclass(frozen=True)
class Link:
    """``source`` sends to ``uri``, which ``target`` consumes."""

    source: str
    uri: str
    target: str


@dataclass(frozen=True)
class RouteMap:
    routes: tuple[RouteGraph, ...]
    links: tuple[Link, ...] = field(default=())


def describe_route(
    route_id: str,
    definition: RouteDefinition,
    error_handler: ErrorHandler,
    shared_on_exceptions: Sequence[OnException] = (),
) -> RouteGraph:
    """``error_handler``: the engine's default, used when the route names none;
    ``shared_on_exceptions``: those declared for all routes (after the route's own)."""
    handler = definition.error_handler or error_handler
    dead_letter = handler.dead_letter_uri
    return RouteGraph(
        route_id=route_id,
        source=definition.source,
        from_uri=mask_credentials(definition.from_uri),
        steps=_nodes(definition.steps),
        on_exceptions=tuple(
            _exception(policy) for policy in [*definition.on_exceptions, *shared_on_exceptions]
        ),
        maximum_redeliveries=handler.redelivery.maximum_redeliveries,
        dead_letter_uri=mask_credentials(dead_letter) if dead_letter else None,
    )


def route_map(graphs: Iterable[RouteGraph]) -> RouteMap:
    """The graphs, and which route feeds which: a URI one sends to and another consumes
    (compared by scheme and path, as options differ between the two sides)."""
    graphs = tuple(graphs)
    consumers: dict[str, list[str]] = {}
    for graph in graphs:
        consumers.setdefault(_address(graph.from_uri), []).append(graph.route_id)
    links = tuple(
        Link(graph.route_id, uri, target)
        for graph in graphs
        for uri in graph.sends_to()
        for target in consumers.get(_address(uri), [])
    )
    return RouteMap(graphs, links)


def label(value: Any) -> str:
    """A short readable name for an expression or a processor."""
    match value:
        case Simple(text=text):
            return text
        case Header(name=name):
            return f"${{header.{name}}}"
        case Body(path=path):
            return "${" + ".".join(("body", *path)) + "}"
        case ExchangeProperty(name=name):
            return f"${{exchangeProperty.{name}}}"
        case Constant(value=constant):
            return repr(constant)
        case Ref(name=name):
            return name
        case functools.partial():
            return label(value.func)
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return str(name).rpartition("<locals>.")[2]


def _nodes(steps: Sequence[StepDefinition]) -> tuple[StepNode, ...]:
    return tuple(_node(step) for step in steps)


def _node(step: StepDefinition) -> StepNode:
    match step:
        case ProcessStep(processor=processor):
            return StepNode("process", label(processor))
        case BatchStep(processor=processor, size=size, timeout=timeout, uri=uri):
            rules = f"(up to {size}, {timeout * 1000:g} ms)"
            if uri is not None:
                target = mask_credentials(uri)
                return StepNode("batch", f"to {target} {rules}", (target,))
            return StepNode("batch", f"{label(processor)} {rules}")
        case ToStep(uris=uris):
            masked = tuple(mask_credentials(uri) for uri in uris)
            return StepNode("to", ", ".join(masked), masked)
        case WireTapStep(uri=uri):
            return StepNode("wire-tap", mask_credentials(uri), (mask_credentials(uri),))
        case LogStep(message=message, level=level):
            return StepNode("log", f"{level}: {label(message)}")
        case SetHeaderStep(name=name, expression=expression):
            return StepNode("set-header", f"{name} = {label(expression)}")
        case RemoveHeadersStep(pattern=pattern, exclude=exclude):
            kept = f" but {', '.join(exclude)}" if exclude else ""
            return StepNode("remove-headers", pattern + kept)
        case SetBodyStep(expression=expression):
            return StepNode("set-body", label(expression))
        case FilterStep(predicate=predicate, steps=steps):
            return StepNode("filter", label(predicate), steps=_nodes(steps))
        case SplitStep(expression=expression, steps=steps, parallel=parallel):
            each = f"each of {label(expression)}" + (", in parallel" if parallel else "")
            return StepNode("split", each, steps=_nodes(steps))
        case IdempotentConsumerStep(key=key, repository=repository, steps=steps):
            return StepNode(
                "idempotent-consumer", f"{label(key)} in {label(repository)}", steps=_nodes(steps)
            )
        case ChoiceStep(whens=whens, otherwise=otherwise):
            branches = [
                StepNode("when", label(when.predicate), steps=_nodes(when.steps)) for when in whens
            ]
            if otherwise is not None:
                branches.append(StepNode("otherwise", "otherwise", steps=_nodes(otherwise)))
            return StepNode("choice", "choice", steps=tuple(branches))
    raise TypeError(f"cannot describe step {step!r}")


def _exception(policy: OnException) -> ExceptionNode:
    outcome = "handled" if policy.handled else "continued" if policy.continued else "failed"
    return ExceptionNode(
        exceptions=tuple(error.__name__ for error in policy.exceptions),
        outcome=outcome,
        maximum_redeliveries=policy.redelivery.maximum_redeliveries,
        steps=_nodes(policy.steps),
    )


def _walk(nodes: Iterable[StepNode]) -> Iterable[StepNode]:
    for node in nodes:
        yield node
        yield from _walk(node.steps)


def _address(uri: str) -> str:
    try:
        parsed = EndpointUri.parse(uri)
    except InvalidUri:
        return uri
    return f"{parsed.scheme}:{parsed.path}"
