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
from routes.definition import ErrorHandler, OnException, RouteDefinition
from routes.expressions import Body, Constant, ExchangeProperty, Header, Ref
from routes.simple import Simple
from routes.steps import (
    AggregateStep,
    BatchStep,
    ChoiceStep,
    ConvertBodyToStep,
    DelayStep,
    DoTryStep,
    EnrichStep,
    FilterStep,
    IdempotentConsumerStep,
    LogStep,
    LoopStep,
    MarshalStep,
    MulticastStep,
    ProcessStep,
    RecipientListStep,
    RemoveHeadersStep,
    RemoveHeaderStep,
    RemovePropertyStep,
    SetBodyStep,
    SetHeadersStep,
    SetHeaderStep,
    SetPropertyStep,
    SplitStep,
    StepDefinition,
    StopStep,
    ThrottleStep,
    ThrowExceptionStep,
    ToDynamicStep,
    ToStep,
    UnmarshalStep,
    WireTapStep,
)


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
    on_exceptions: Sequence[OnException] = (),
) -> RouteGraph:
    """``error_handler`` and ``on_exceptions``: the route's, as the engine resolves them
    (its own, its route configurations', those for every route)."""
    dead_letter = error_handler.dead_letter_uri
    return RouteGraph(
        route_id=route_id,
        source=definition.source,
        from_uri=mask_credentials(definition.from_uri),
        steps=_nodes(definition.steps),
        on_exceptions=tuple(_exception(policy) for policy in on_exceptions),
        maximum_redeliveries=error_handler.redelivery.maximum_redeliveries,
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
        case ToDynamicStep(uri=uri):
            return StepNode("toD", mask_credentials(label(uri)))
        case WireTapStep(uri=uri):
            return StepNode("wireTap", mask_credentials(uri), (mask_credentials(uri),))
        case EnrichStep(expression=expression):
            return StepNode("enrich", mask_credentials(label(expression)))
        case RecipientListStep(expression=expression):
            return StepNode("recipientList", label(expression))
        case LogStep(message=message, level=level):
            return StepNode("log", f"{level}: {label(message)}")
        case SetHeaderStep(name=name, expression=expression):
            return StepNode("setHeader", f"{name} = {label(expression)}")
        case SetHeadersStep(headers=pairs):
            return StepNode(
                "setHeaders", ", ".join(f"{name} = {label(value)}" for name, value in pairs)
            )
        case SetPropertyStep(name=name, expression=expression):
            return StepNode("setProperty", f"{name} = {label(expression)}")
        case RemoveHeaderStep(name=name):
            return StepNode("removeHeader", name)
        case RemoveHeadersStep(pattern=pattern, exclude=exclude):
            kept = f" but {', '.join(exclude)}" if exclude else ""
            return StepNode("removeHeaders", pattern + kept)
        case RemovePropertyStep(name=name):
            return StepNode("removeProperty", name)
        case SetBodyStep(expression=expression):
            return StepNode("setBody", label(expression))
        case ConvertBodyToStep(type=target):
            return StepNode("convertBodyTo", target.__name__)
        case MarshalStep(data_format=data_format):
            return StepNode("marshal", data_format)
        case UnmarshalStep(data_format=data_format):
            return StepNode("unmarshal", data_format)
        case StopStep():
            return StepNode("stop", "stop")
        case ThrowExceptionStep(exception_type=exception_type, message=message):
            text = f": {label(message)}" if message is not None else ""
            return StepNode("throwException", exception_type.__name__ + text)
        case DelayStep(expression=expression):
            return StepNode("delay", f"{label(expression)} ms")
        case ThrottleStep(expression=expression, mode="ConcurrentRequests"):
            return StepNode("throttle", f"{label(expression)} at once")
        case ThrottleStep(expression=expression, time_period=period):
            return StepNode("throttle", f"{label(expression)} per {period:g} s")
    return _block(step)


def _block(step: StepDefinition) -> StepNode:
    match step:
        case FilterStep(predicate=predicate, steps=steps):
            return StepNode("filter", label(predicate), steps=_nodes(steps))
        case SplitStep(expression=expression, steps=steps, parallel_processing=parallel):
            each = f"each of {label(expression)}" + (", in parallel" if parallel else "")
            return StepNode("split", each, steps=_nodes(steps))
        case IdempotentConsumerStep(key=key, repository=repository, steps=steps):
            return StepNode(
                "idempotentConsumer", f"{label(key)} in {label(repository)}", steps=_nodes(steps)
            )
        case ChoiceStep(whens=whens, otherwise=otherwise):
            branches = [
                StepNode("when", label(when.predicate), steps=_nodes(when.steps)) for when in whens
            ]
            if otherwise is not None:
                branches.append(StepNode("otherwise", "otherwise", steps=_nodes(otherwise)))
            return StepNode("choice", "choice", steps=tuple(branches))
        case MulticastStep(steps=steps, parallel_processing=parallel):
            return StepNode(
                "multicast", "in parallel" if parallel else "each in turn", steps=_nodes(steps)
            )
        case DoTryStep(steps=steps, catches=catches, finally_steps=finally_steps):
            branches = [
                StepNode(
                    "doCatch", ", ".join(e.__name__ for e in c.exceptions), steps=_nodes(c.steps)
                )
                for c in catches
            ]
            if finally_steps is not None:
                branches.append(StepNode("doFinally", "finally", steps=_nodes(finally_steps)))
            return StepNode("doTry", "try", steps=(*_nodes(steps), *branches))
        case LoopStep(expression=expression, steps=steps, do_while=do_while):
            rounds = f"while {label(expression)}" if do_while else f"{label(expression)} times"
            return StepNode("loop", rounds, steps=_nodes(steps))
        case AggregateStep(correlation=correlation, steps=steps):
            return StepNode("aggregate", f"by {label(correlation)}", steps=_nodes(steps))
    raise TypeError(f"cannot describe step {step!r}")


def _outcome(policy: OnException) -> str:
    """``handled``, ``continued`` (or ``handled if <predicate>``), else ``failed``."""
    for name, flag in (("handled", policy.handled), ("continued", policy.continued)):
        if flag is True:
            return name
        if not isinstance(flag, bool):
            return f"{name} if {label(flag)}"
    return "failed"


def _exception(policy: OnException) -> ExceptionNode:
    return ExceptionNode(
        exceptions=tuple(error.__name__ for error in policy.exceptions),
        outcome=_outcome(policy),
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
