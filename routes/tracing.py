"""OpenTelemetry spans of the engine: one per route an exchange runs through, one per
step attempt, made only while tracing is on (``endpoints.tracing``): routes built while
it is off make none, and ``observability.tracing`` turns it on before.

The trace context travels with the exchange in its W3C ``traceparent`` header: a
route's span is a child of the span running when the route starts (a direct call,
a consumer's span), else of the context the exchange carries (a ``seda:`` hop), and
the route writes its own span back into that header for the next hop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, Status, StatusCode

from endpoints.exchange import Exchange
from endpoints.headers import CORRELATION_ID
from endpoints.tracing import tracing_on
from routes.expressions import Ref
from routes.steps import (
    BatchStep,
    LogStep,
    ProcessStep,
    RemoveHeadersStep,
    SetBodyStep,
    SetHeadersStep,
    SetHeaderStep,
    StepDefinition,
    ToStep,
    WireTapStep,
)

tracer = trace.get_tracer("routes")


@contextlib.contextmanager
def route_span(route_id: str, exchange: Exchange) -> Iterator[Span]:
    if not tracing_on():
        yield trace.INVALID_SPAN
        return
    running = trace.get_current_span().get_span_context().is_valid
    parent = None if running else propagate.extract(exchange.headers)
    attributes = {"route.id": route_id, "exchange.id": exchange.id}
    correlation = exchange.headers.get(CORRELATION_ID)
    if isinstance(correlation, str):
        attributes["correlation.id"] = correlation
    with tracer.start_as_current_span(
        f"route {route_id}", context=parent, attributes=attributes
    ) as span:
        propagate.inject(exchange.headers)
        yield span
        if exchange.failed:
            span.set_status(Status(StatusCode.ERROR, str(exchange.exception)))


def step_name(definition: StepDefinition) -> str:
    """A span name for a leaf step: what it does, without any URI options."""
    match definition:
        case ProcessStep(processor):
            return f"process {_callable_name(processor)}"
        case BatchStep(processor, uri=uri) if uri is not None:
            return "batch to " + uri.split("?", 1)[0]
        case BatchStep(processor):
            return f"batch {_callable_name(processor)}"
        case ToStep(uris):
            return "to " + ", ".join(uri.split("?", 1)[0] for uri in uris)
        case WireTapStep(uri):
            return "wireTap " + uri.split("?", 1)[0]
        case SetHeaderStep(name, _):
            return f"setHeader {name}"
        case SetHeadersStep(pairs):
            return "setHeaders " + ", ".join(name for name, _ in pairs)
        case RemoveHeadersStep(pattern):
            return f"removeHeaders {pattern}"
        case SetBodyStep():
            return "setBody"
        case LogStep():
            return "log"
    return type(definition).__name__


def _callable_name(processor: object) -> str:
    if isinstance(processor, Ref):
        return processor.name
    if isinstance(processor, partial):
        processor = processor.func
    name = getattr(processor, "__qualname__", None)
    return name if isinstance(name, str) else type(processor).__name__
