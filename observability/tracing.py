"""Exporting spans: OTLP over HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, nothing otherwise.

The engine and components create spans through the OpenTelemetry API alone; until
a tracer provider is set they are no-ops, so a service without the variable pays
next to nothing. The exporter reads the standard ``OTEL_*`` variables (endpoint,
headers, timeout); ``OTEL_SERVICE_NAME`` overrides the service name given here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def configure_tracing(
    service_name: str, environ: Mapping[str, str] = os.environ
) -> TracerProvider | None:
    """Install a tracer provider exporting with OTLP when an endpoint is configured;
    return it (to shut down, which flushes), or None when tracing stays off."""
    if not any(environ.get(name) for name in ENDPOINT_VARIABLES):
        return None
    name = environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider
