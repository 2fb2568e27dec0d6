"""Spans of the engine and its components, made only where tracing is on.

Only the OpenTelemetry API is used: until ``observability.tracing`` configures the SDK
every span is a no-op, yet starting one, and extracting or injecting its context,
costs about as much as a short step (measured: 5% of a worker's CPU). So ``start_span``
stands in for ``tracer.start_as_current_span`` and costs nothing while tracing is off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, Tracer


def tracing_on() -> bool:
    """Whether this process configured a tracer provider (the SDK)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def start_span(
    tracer: Tracer, name: str, carrier: Mapping[str, Any] | None = None, **options: Any
) -> AbstractContextManager[Span]:
    """``tracer.start_as_current_span(name, **options)``, as a child of the trace context
    the ``carrier`` headers hold when given; ``INVALID_SPAN`` while tracing is off."""
    if not tracing_on():
        return contextlib.nullcontext(trace.INVALID_SPAN)
    if carrier is not None:
        options["context"] = propagate.extract(carrier)
    return tracer.start_as_current_span(name, **options)


def with_trace_context(headers: Mapping[str, Any]) -> Mapping[str, Any]:
    """``headers`` and the running span's trace context, for the next hop to continue
    (``headers`` as they are while tracing is off)."""
    if not tracing_on():
        return headers
    carried = dict(headers)
    propagate.inject(carried)
    return carried
