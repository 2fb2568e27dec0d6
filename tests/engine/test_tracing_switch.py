"""Spans cost nothing while tracing is off, and continue the trace a message carries
once it is on. A process sets its tracer provider once, and an earlier test may have
set one, so the check runs in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from endpoints.tracing import start_span, with_trace_context

tracer = trace.get_tracer("check")
carried = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
with start_span(tracer, "off", carried) as span:
    assert span is trace.INVALID_SPAN, span
    assert with_trace_context({"a": "1"}) == {"a": "1"}

trace.set_tracer_provider(TracerProvider())
with start_span(tracer, "on", carried) as span:
    context = span.get_span_context()
    assert context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C, context
    sent = with_trace_context({"a": "1"})
    assert sent["a"] == "1" and sent["traceparent"].split("-")[2] == f"{context.span_id:016x}"
print("ok")
"""


def test_spans_are_made_only_once_a_tracer_provider_is_set() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")
