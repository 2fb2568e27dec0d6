"""Sending exchanges to a topic, each one acknowledged by every in-sync replica.

The component shares one aiokafka producer among its endpoints, started on first
use so that a process that only consumes never opens one. It is idempotent
(``enable_idempotence=True``, which implies ``acks=all``): a retried send never
writes a record twice, and a send returns only once the broker has it for good.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from components.kafka.codec import encode_headers, encode_key, encode_value
from endpoints.base import Producer
from endpoints.exchange import Exchange
from endpoints.headers import KAFKA_OFFSET, KAFKA_PARTITION
from endpoints.tracing import start_span, with_trace_context

if TYPE_CHECKING:
    from components.kafka.endpoint import KafkaEndpoint

tracer = trace.get_tracer("components.kafka")

# Bounds each produce request, the wait for a topic's metadata and a record's wait in
# the send buffer, so a send fails within about twice this when no broker answers
# (aiokafka's default is 40 s; the Java client's is 30 s).
REQUEST_TIMEOUT_MS = 30_000


class KafkaUnavailable(Exception):
    """No broker answered in time."""


class SharedProducer:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self, bootstrap_servers: str) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=bootstrap_servers,
                    client_id=self.client_id,
                    enable_idempotence=True,
                    request_timeout_ms=REQUEST_TIMEOUT_MS,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()  # closes the half-opened client
                    raise
                self._producer = producer
            return self._producer

    async def ping(self, bootstrap_servers: str, within: float) -> None:
        """Raise KafkaUnavailable unless a broker answers a metadata request within
        ``within`` seconds (for readiness checks)."""
        try:
            async with asyncio.timeout(within):
                producer = await self.get(bootstrap_servers)
                await producer.client.fetch_all_metadata()
        except TimeoutError:
            raise KafkaUnavailable(f"no broker answered within {within}s") from None
        except (KafkaError, OSError) as error:
            raise KafkaUnavailable(f"{type(error).__name__}: {error}") from None

    async def stop(self) -> None:
        async with self._lock:
            producer, self._producer = self._producer, None
            if producer is not None:
                await producer.stop()


class KafkaProducer(Producer):
    def __init__(self, endpoint: KafkaEndpoint) -> None:
        self.endpoint = endpoint

    async def _producer(self) -> AIOKafkaProducer:
        component = self.endpoint.component
        return await component.producer.get(component.require_bootstrap(self.endpoint.uri))

    async def start(self) -> None:
        await self._producer()

    async def process(self, exchange: Exchange) -> None:
        """Send the body keyed by the ``kafka.key`` header; when the broker has it,
        record where it landed in ``kafka.partition`` and ``kafka.offset``."""
        headers = exchange.headers
        key, value = encode_key(headers), encode_value(exchange.body)
        producer = await self._producer()
        topic = self.endpoint.topic
        with start_span(
            tracer,
            f"{topic} publish",
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "kafka", "messaging.destination.name": topic},
        ) as span:
            # The consumer's span continues this one.
            record_headers = encode_headers(with_trace_context(headers))
            metadata = await producer.send_and_wait(topic, value, key=key, headers=record_headers)
            span.set_attribute("messaging.destination.partition.id", str(metadata.partition))
            span.set_attribute("messaging.kafka.offset", metadata.offset)
        headers[KAFKA_PARTITION] = metadata.partition
        headers[KAFKA_OFFSET] = metadata.offset
