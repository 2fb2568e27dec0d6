"""Consuming a topic: a Faust agent hands each record to the route, at least once.

The agent's actors (``concurrency`` of them) take records from one queue; with
``batching``, one actor takes them as they come and makes batches of what arrives
within ``pollTimeout`` of a first record, up to ``maxPollRecords``, and hands every
record of a batch to the route at once (the route's batch steps take them together),
up to ``concurrency`` batches at a time. A record is acked (see ``acks``) only once the
route handled it without failing — in batching mode, once every record of its batch
is handled — so a worker that dies mid-batch leaves the whole batch to be read again.
A failed record goes to the route again, after a growing delay, until it succeeds,
the consumer stops or its partition moves to another worker; in the last two cases
it is read again from the last committed offset. ``stop()`` lets exchanges in flight
finish and commits what is done before the app stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import faust
from faust.exceptions import ConsumerNotStarted
from faust.types import TP, EventT, Message, StreamT
from mode.types.signals import BaseSignalT
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from components.kafka.acks import InOrderAcks
from components.kafka.app import consumer_app
from components.kafka.codec import decode_headers, decode_text, decode_value
from components.kafka.options import ValueFormat
from endpoints.base import Consumer, Endpoint, RouteHandler
from endpoints.cohort import COHORT, Cohort
from endpoints.exchange import Exchange
from endpoints.headers import KAFKA_KEY, KAFKA_OFFSET, KAFKA_PARTITION, KAFKA_TOPIC
from endpoints.tracing import start_span

if TYPE_CHECKING:
    from components.kafka.endpoint import KafkaEndpoint

logger = logging.getLogger(__name__)
tracer = trace.get_tracer("components.kafka")

# How long stop() waits for exchanges in flight before the app stops (and cancels them).
STOP_GRACE_PERIOD = 30.0


def record_exchange(message: Message, value_format: ValueFormat) -> Exchange:
    """The exchange for one record; raises ValueError when its value cannot be decoded."""
    raw_headers = message.headers or ()
    pairs = raw_headers.items() if isinstance(raw_headers, Mapping) else raw_headers
    headers = decode_headers(pairs)
    if message.key is not None:
        headers[KAFKA_KEY] = decode_text(message.key)
    headers[KAFKA_TOPIC] = message.topic
    headers[KAFKA_PARTITION] = message.partition
    headers[KAFKA_OFFSET] = message.offset
    return Exchange.of(decode_value(message.value, value_format), headers)


class KafkaConsumer(Consumer):
    endpoint: KafkaEndpoint

    def __init__(self, endpoint: Endpoint, handler: RouteHandler) -> None:
        super().__init__(endpoint, handler)
        self._app: faust.App | None = None
        self._datadir: tempfile.TemporaryDirectory[str] | None = None
        self._acks = InOrderAcks()
        self._stopping = asyncio.Event()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._batches: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        endpoint = self.endpoint
        self._stopping.clear()
        self._acks = InOrderAcks()
        self._datadir = tempfile.TemporaryDirectory(prefix="faust-")
        app = consumer_app(
            endpoint.group_id,
            bootstrap_servers=endpoint.component.require_bootstrap(endpoint.uri),
            client_id=endpoint.component.app_id,
            auto_offset_reset=endpoint.options.auto_offset_reset,
            datadir=self._datadir.name,
        )
        topic = app.topic(endpoint.topic)
        options = endpoint.options
        if options.batching:
            app.agent(topic, name=endpoint.topic)(self._batch_agent)
        else:
            app.agent(topic, name=endpoint.topic, concurrency=options.concurrency)(self._agent)
        app.on_partitions_revoked.connect(self._on_partitions_revoked)
        self._app = app
        try:
            await app.start()
        except BaseException:
            await self._close(app)
            raise

    async def _agent(self, stream: StreamT[bytes]) -> None:
        manual_acks = cast(faust.Stream[bytes], stream).noack()
        async for event in manual_acks.events():
            self._acks.taken(event)  # before any await: keeps the offset order
            if not self._stopping.is_set() and await self._deliver(event):
                self._acks.handled(event)

    async def _batch_agent(self, stream: StreamT[bytes]) -> None:
        """Takes the records in offset order into a queue; ``_batches_of`` makes them
        batches. (Faust's own ``noack_take`` wakes every ``within`` even when nothing
        came: an idle worker would spend a tenth of a core on it.)"""
        options = self.endpoint.options
        queue: asyncio.Queue[EventT[bytes]] = asyncio.Queue(options.max_poll_records)
        batching = asyncio.create_task(self._batches_of(queue))
        try:
            async for event in cast(faust.Stream[bytes], stream).noack().events():
                self._acks.taken(event)  # before any await: keeps the offset order
                await queue.put(event)  # waits while the batches in flight take their time
        finally:
            batching.cancel()
            await asyncio.gather(batching, return_exceptions=True)

    async def _batches_of(self, queue: asyncio.Queue[EventT[bytes]]) -> None:
        """Each batch: the first record to come, and what comes within ``pollTimeout``
        after it, up to ``maxPollRecords``; up to ``concurrency`` batches in flight."""
        options = self.endpoint.options
        slots = asyncio.Semaphore(options.concurrency)
        loop = asyncio.get_running_loop()
        while True:
            events = [await queue.get()]
            deadline = loop.time() + options.poll_timeout
            while len(events) < options.max_poll_records:
                if not queue.empty():
                    events.append(queue.get_nowait())
                    continue
                try:
                    async with asyncio.timeout_at(deadline):
                        events.append(await queue.get())
                except TimeoutError:
                    break
            if self._stopping.is_set():
                continue
            await slots.acquire()
            delivery = asyncio.create_task(self._deliver_batch(events))
            self._batches.add(delivery)
            delivery.add_done_callback(self._batches.discard)
            delivery.add_done_callback(lambda _: slots.release())

    async def _deliver_batch(self, events: list[EventT[bytes]]) -> None:
        """Every record of the batch to the route at once; acked together when all are
        handled (none of them if the consumer stops or loses a partition first)."""
        cohort = Cohort(len(events))  # the batch steps of the route take them together
        handled = await asyncio.gather(*(self._deliver(event, cohort) for event in events))
        if all(handled):
            for event in events:
                self._acks.handled(event)

    async def _deliver(self, event: EventT[bytes], cohort: Cohort | None = None) -> bool:
        """Hand the record to the route until it succeeds: True, or False when the
        consumer stops or no longer owns the record's partition first. The first
        attempt goes with its batch's ``cohort``; one handed over again goes alone."""
        message = event.message
        delays = self.endpoint.options.redelivery_policy().delays()
        while not await self._handled(event, cohort):
            cohort = None
            delay = next(delays)
            logger.warning(
                "%s: record %s[%d]@%d failed; handing it to the route again in %.2fs",
                self.endpoint.uri,
                message.topic,
                message.partition,
                message.offset,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)
            if self._stopping.is_set() or not self._acks.holds(event):
                return False  # not acked: read again from the last committed offset
        return True

    async def _handled(self, event: EventT[bytes], cohort: Cohort | None = None) -> bool:
        """Run one exchange of the record through the route; True when it succeeded."""
        self._in_flight += 1
        self._idle.clear()
        message = event.message
        exchange: Exchange | None = None
        try:
            exchange = record_exchange(message, self.endpoint.options.value_format)
            if cohort is not None:
                exchange.properties[COHORT] = cohort
            with start_span(
                tracer,
                f"{message.topic} process",
                exchange.headers,
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": message.topic,
                    "messaging.destination.partition.id": str(message.partition),
                    "messaging.kafka.offset": message.offset,
                    "messaging.consumer.group.name": self.endpoint.group_id,
                },
            ):
                await self.handler(exchange)
        except Exception:  # an undecodable record or a raising handler: both failures
            logger.exception("%s: record not handled", self.endpoint.uri)
            return False
        finally:
            if cohort is not None:
                cohort.left(exchange)
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        return exchange is not None and not exchange.failed

    def _assignment(self) -> set[TP]:
        """What the consumer owns now; nothing before its thread has started (Faust
        raises then, which readiness and a metrics scrape must not)."""
        if self._app is None:
            return set()
        try:
            return set(self._app.consumer.assignment())
        except ConsumerNotStarted:
            return set()

    @property
    def topic(self) -> str:
        return self.endpoint.topic

    @property
    def group_id(self) -> str:
        return self.endpoint.group_id

    def assigned_partitions(self) -> list[int]:
        """The partitions of the topic this worker owns now (empty while rebalancing)."""
        topic = self.endpoint.topic
        return sorted(tp.partition for tp in self._assignment() if tp.topic == topic)

    def lag(self) -> dict[int, int]:
        """Per owned partition, the records not yet committed by the group: the
        partition's end offset as last fetched minus the committed offset (Faust keeps
        it from the seek at assignment and from each commit)."""
        assignment = self._assignment()
        if self._app is None or not assignment:
            return {}
        consumer = self._app.consumer
        # Faust has no public accessor for it.
        committed: Mapping[TP, int | None] = cast(Any, consumer)._committed_offset
        lags: dict[int, int] = {}
        for tp in assignment:
            end = consumer.highwater(tp) if tp.topic == self.endpoint.topic else None
            if end is not None:
                lags[tp.partition] = max(0, end - (committed.get(tp) or 0))
        return lags

    def _on_partitions_revoked(
        self, app: Any, /, *revoked: set[TP], signal: BaseSignalT[Any], **kwargs: Any
    ) -> None:
        for partitions in revoked:
            self._acks.forget(partitions)

    async def stop(self) -> None:
        """Take no more records, let exchanges in flight finish, commit, stop the app."""
        app, self._app = self._app, None
        if app is None:
            return
        self._stopping.set()
        try:
            async with asyncio.timeout(STOP_GRACE_PERIOD):
                await self._idle.wait()
                if self._batches:  # their acks come just after their last exchange
                    await asyncio.wait(self._batches)
        except TimeoutError:
            logger.warning("%s: exchanges still in flight at stop", self.endpoint.uri)
        try:
            await app.commit({self.endpoint.topic})
        finally:
            await self._close(app)

    async def _close(self, app: faust.App) -> None:
        app.on_partitions_revoked.disconnect(self._on_partitions_revoked)
        try:
            await app.stop()
        finally:
            if self._datadir is not None:
                self._datadir.cleanup()
                self._datadir = None
