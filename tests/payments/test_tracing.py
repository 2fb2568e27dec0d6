"""One order through the API and the processor, over the real Kafka, makes one trace:
the HTTP request, every route and step, the Kafka publish and process, and the
gateway call, recorded by the SDK's in-memory exporter."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiohttp
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from observability.tracing import configure_tracing
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.test_lifecycle import until_terminal
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


class _WhileActive(SimpleSpanProcessor):
    """Exports only while this module runs: the process's tracer provider can be set
    once, and the tests after this module must not find it shut down."""

    active = True

    def on_end(self, span: ReadableSpan) -> None:
        if self.active:
            super().on_end(span)


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans kept in memory for this module, and dropped after it."""
    memory = InMemorySpanExporter()
    recording = _WhileActive(memory)
    provider = TracerProvider()
    provider.add_span_processor(recording)
    trace.set_tracer_provider(provider)
    yield memory
    recording.active = False
    memory.clear()


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    assert configure_tracing("payorch-test", environ={}) is None


async def test_one_order_is_one_trace_across_the_kafka_hop(
    exporter: InMemorySpanExporter,
    start_service: StartService,
    client: aiohttp.ClientSession,
    tenant: str,
) -> None:
    service = await start_service()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    async with client.post(
        f"{service.http.url}/payment-orders",
        json=VALID_ORDER,
        headers={"traceparent": traceparent},
    ) as response:
        order_id = (await response.json())["id"]
    await until_terminal(client, service, order_id)
    executed = f"{tenant}.payment.executed publish"
    execute = f"{tenant}.payment.execute"
    expected = {
        "POST /payment-orders",
        "route create-payment-order",
        "process receiveOrder",
        "batch createOrders",
        "to seda:payment-lifecycle",
        "route queue-payment-order",
        "route advance-payment-order",
        "batch advanceOrders",
        f"to kafka:{execute}",
        "batch settleSentCommands",
        f"{execute} publish",
        f"{execute} process",
        "route execute-payment-order",
        "process readCommand",
        "batch claimPayments",
        "to gateway:simulated",
        "gateway pay",
        "batch completePayments",
        executed,
        "batch markEventsPublished",
    }
    trace_id = 0x0AF7651916CD43DD8448EB211C80319C  # the client's: the trace continues it

    def ours_now() -> dict[str, ReadableSpan]:
        found = exporter.get_finished_spans()
        return {span.name: span for span in found if span.context.trace_id == trace_id}

    # A route's span ends after its last step, which may be after the event it published.
    with contextlib.suppress(TimeoutError):
        await eventually(lambda: expected <= set(ours_now()))
    ours = ours_now()
    assert expected <= set(ours), sorted(expected - set(ours))

    def parent(name: str) -> str:
        span_parent = ours[name].parent
        assert span_parent is not None, name
        [found] = [s.name for s in ours.values() if s.context.span_id == span_parent.span_id]
        return str(found)

    assert ours["POST /payment-orders"].kind == SpanKind.SERVER
    assert ours["POST /payment-orders"].attributes == {
        "http.request.method": "POST",
        "http.route": "/payment-orders",
        "url.path": "/payment-orders",
        "http.response.status_code": 201,
    }
    assert parent("route create-payment-order") == "POST /payment-orders"
    assert parent("route queue-payment-order") == "route create-payment-order"  # seda hop
    assert parent(f"{execute} publish") == f"to kafka:{execute}"
    assert parent(f"{execute} process") == f"{execute} publish"  # the Kafka hop
    assert ours[f"{execute} process"].kind == SpanKind.CONSUMER
    assert parent("route execute-payment-order") == f"{execute} process"
    assert parent("gateway pay") == "to gateway:simulated"
    gateway = ours["gateway pay"]
    assert gateway.kind == SpanKind.CLIENT
    assert gateway.attributes is not None
    assert gateway.attributes["payment.order_id"] == order_id
    assert gateway.attributes["gateway.outcome"] == "paid"
    executing = ours["route execute-payment-order"].attributes
    creating = ours["route create-payment-order"].attributes
    assert executing is not None
    assert creating is not None
    assert executing == {
        "route.id": "execute-payment-order",
        "exchange.id": executing["exchange.id"],
        "correlation.id": creating["correlation.id"],
    }
