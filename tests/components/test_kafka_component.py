"""kafka: keyed sends acknowledged by the broker, and at-least-once consumption by a
Faust agent: a failed record comes back and holds its partition's commit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import BaseModel, Field

from components.kafka import KafkaComponent
from components.kafka.codec import encode_value
from components.kafka.consumer import KafkaConsumer
from endpoints.base import Consumer, RouteHandler
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.headers import (
    KAFKA_KEY,
    KAFKA_OFFSET,
    KAFKA_PARTITION,
    KAFKA_TOPIC,
    REDELIVERED,
    REDELIVERY_COUNTER,
)
from routes.dsl import RouteBuilder
from routes.engine import Engine
from tests.conftest import TopicFactory, unique_name
from tests.engine.support import mock
from tests.polling import eventually

pytestmark = pytest.mark.kafka

FAST_REDELIVERY = "redeliveryDelay=0.05&maximumRedeliveryDelay=0.2"
DEADLINE = 20.0  # seconds any wait on the broker may take
# A record header the producer adds once any test has configured tracing: the tracer
# provider of a process is set once, so header checks leave it out.
TRACEPARENT = "traceparent"


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[KafkaComponent]:
    component = KafkaComponent(kafka_bootstrap, app_id=unique_name("test-app"))
    yield component
    await component.stop()


class Received:
    """Exchanges a handler saw, with a deadline-bound wait for a condition on them."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._changed = asyncio.Condition()

    async def add(self, exchange: Exchange) -> None:
        async with self._changed:
            self.exchanges.append(exchange)
            self._changed.notify_all()

    async def until(self, done: Callable[[list[Exchange]], bool]) -> None:
        async with asyncio.timeout(DEADLINE), self._changed:
            await self._changed.wait_for(lambda: done(self.exchanges))

    @property
    def offsets(self) -> list[int]:
        return [exchange.headers[KAFKA_OFFSET] for exchange in self.exchanges]


async def send(
    kafka: KafkaComponent,
    topic: str,
    bodies: list[Any],
    headers: Callable[[int], dict[str, Any]] | None = None,
) -> list[Exchange]:
    """Send each body through a kafka: producer, with ``headers(n)`` for the n-th."""
    endpoint = kafka.create_endpoint(f"kafka:{topic}")
    await endpoint.start()
    producer = endpoint.create_producer()
    await producer.start()
    sent = []
    for n, body in enumerate(bodies):
        exchange = Exchange.of(body, headers(n) if headers else {})
        await producer.process(exchange)
        sent.append(exchange)
    return sent


@contextlib.asynccontextmanager
async def consuming(
    kafka: KafkaComponent, uri: str, handler: RouteHandler
) -> AsyncIterator[Consumer]:
    endpoint = kafka.create_endpoint(uri)
    await endpoint.start()
    consumer = endpoint.create_consumer(handler)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def committed(
    admin: AIOKafkaAdminClient, group: str, topic: str, partition: int = 0
) -> int | None:
    offsets = await admin.list_consumer_group_offsets(group)
    position = offsets.get(TopicPartition(topic, partition))
    return None if position is None else position.offset


async def until_committed(
    admin: AIOKafkaAdminClient, group: str, topic: str, offset: int, partition: int = 0
) -> None:
    """Poll the group's committed offset of ``partition`` until it is ``offset``; it must
    never be seen past it on the way."""
    async with asyncio.timeout(DEADLINE):
        while (seen := await committed(admin, group, topic, partition)) != offset:
            assert seen is None or seen < offset, f"committed {seen}, past {offset}"
            await asyncio.sleep(0.05)


async def until_total_committed(admin: AIOKafkaAdminClient, group: str, total: int) -> None:
    """Poll until the group's committed offsets, summed over partitions, reach ``total``."""
    async with asyncio.timeout(DEADLINE):
        for _ in itertools.count():
            offsets = await admin.list_consumer_group_offsets(group)
            if sum(position.offset for position in offsets.values()) >= total:
                return
            await asyncio.sleep(0.05)


async def produce_to(bootstrap: str, topic: str, partition: int, bodies: list[Any]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for body in bodies:
            await producer.send_and_wait(topic, json.dumps(body).encode(), partition=partition)
    finally:
        await producer.stop()


async def test_producer_sends_keyed_records_with_headers_once_acknowledged(
    kafka: KafkaComponent, kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-out", partitions=3)
    bodies = [
        {
            "amount": Decimal("12.30"),
            "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            "id": UUID(int=n),
        }
        for n in range(24)
    ]
    sent = await send(
        kafka,
        topic,
        bodies,
        headers=lambda n: {
            KAFKA_KEY: f"order-{n % 6}",
            "x-trace": f"t{n}",
            "x-count": 3,
            "http.status": 201,  # the engine's own headers stay home
            KAFKA_TOPIC: "elsewhere",
            REDELIVERED: True,
            REDELIVERY_COUNTER: 2,
        },
    )

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(DEADLINE):
            while len(records) < len(sent):
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    finally:
        await consumer.stop()

    by_place = {(record.partition, record.offset): record for record in records}
    partition_of_key: dict[bytes, set[int]] = defaultdict(set)
    for n, exchange in enumerate(sent):
        record = by_place[exchange.headers[KAFKA_PARTITION], exchange.headers[KAFKA_OFFSET]]
        assert record.key == f"order-{n % 6}".encode()
        headers = [header for header in record.headers if header[0] != TRACEPARENT]
        assert headers == [("x-trace", f"t{n}".encode()), ("x-count", b"3")]
        assert json.loads(record.value) == {
            "amount": "12.30",
            "at": "2026-01-02T03:04:05+00:00",
            "id": str(UUID(int=n)),
        }
        partition_of_key[record.key].add(record.partition)
    assert all(len(partitions) == 1 for partitions in partition_of_key.values())
    assert {record.partition for record in records} == {0, 1, 2}


class Payment(BaseModel):
    debtor_account: str = Field(alias="debtorAccount")
    amount: Decimal


@pytest.mark.parametrize(
    ("body", "wire"),
    [
        (b"\x00raw", b"\x00raw"),
        ("text é", "text é".encode()),
        (
            Payment(debtorAccount="DE01", amount=Decimal("0.10")),
            b'{"debtorAccount":"DE01","amount":"0.10"}',
        ),
        ({"amount": Decimal("1E+2"), "n": [1, 2.5]}, b'{"amount":"1E+2","n":[1,2.5]}'),
        (None, None),
    ],
)
def test_bodies_go_out_as_bytes_text_or_json_with_exact_money(
    body: Any, wire: bytes | None
) -> None:
    assert encode_value(body) == wire


async def test_consumer_hands_records_of_every_partition_to_concurrent_handlers(
    kafka: KafkaComponent, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-in", partitions=3)
    await send(
        kafka,
        topic,
        [f'{{"n": {n}, "amount": 10.25, "fee": "0.10"}}'.encode() for n in range(30)],
        headers=lambda n: {KAFKA_KEY: f"key-{n % 6}"},
    )
    received = Received()
    overlapping = asyncio.Event()
    active = 0

    async def handler(exchange: Exchange) -> None:
        nonlocal active
        active += 1
        if active > 1:
            overlapping.set()
        try:
            await overlapping.wait()  # returns only once two exchanges run at the same time
        finally:
            active -= 1
        await received.add(exchange)

    async with consuming(kafka, f"kafka:{topic}?groupId={unique_name('g')}&concurrency=4", handler):
        await received.until(lambda exchanges: len(exchanges) >= 30)

    exchanges = received.exchanges
    assert sorted(exchange.body["n"] for exchange in exchanges) == list(range(30))
    # A JSON number with a fraction becomes an exact Decimal; a string stays a string.
    assert all(type(exchange.body["amount"]) is Decimal for exchange in exchanges)
    assert {exchange.body["amount"] for exchange in exchanges} == {Decimal("10.25")}
    assert {exchange.body["fee"] for exchange in exchanges} == {"0.10"}
    assert {exchange.headers[KAFKA_TOPIC] for exchange in exchanges} == {topic}
    assert {exchange.headers[KAFKA_PARTITION] for exchange in exchanges} == {0, 1, 2}
    partition_of_key: dict[str, set[int]] = defaultdict(set)
    for exchange in exchanges:
        partition_of_key[exchange.headers[KAFKA_KEY]].add(exchange.headers[KAFKA_PARTITION])
    assert all(len(partitions) == 1 for partitions in partition_of_key.values())


async def test_consumer_decodes_headers_and_the_chosen_value_format(
    kafka: KafkaComponent, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-fmt", partitions=1)
    await send(
        kafka, topic, ["plain text"], lambda n: {KAFKA_KEY: b"\xffkey", "x-trace": "t1", "x-n": 7}
    )
    received = Received()

    async with consuming(
        kafka, f"kafka:{topic}?valueFormat=text&groupId={unique_name('g')}", received.add
    ):
        await received.until(lambda exchanges: len(exchanges) == 1)

    [got] = received.exchanges
    assert got.body == "plain text"
    assert {name: value for name, value in got.headers.items() if name != TRACEPARENT} == {
        "x-trace": "t1",
        "x-n": "7",
        KAFKA_KEY: b"\xffkey",  # not UTF-8: stays bytes
        KAFKA_TOPIC: topic,
        KAFKA_PARTITION: 0,
        KAFKA_OFFSET: 0,
    }


async def test_a_records_headers_named_like_the_engines_own_are_not_taken(
    kafka: KafkaComponent, kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    """Another producer's record cannot pose as another hop or as a count of attempts."""
    topic = await new_topic("kafka-forged", partitions=1)
    forged = [
        (REDELIVERY_COUNTER, b"abc"),
        (REDELIVERED, b"true"),
        (KAFKA_TOPIC, b"elsewhere"),
        ("http.status", b"500"),
        ("x-trace", b"t1"),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"{}", headers=forged)
    finally:
        await producer.stop()
    received = Received()

    async with consuming(kafka, f"kafka:{topic}?groupId={unique_name('g')}", received.add):
        await received.until(lambda exchanges: len(exchanges) == 1)

    [got] = received.exchanges
    assert {name: value for name, value in got.headers.items() if name != TRACEPARENT} == {
        "x-trace": "t1",
        KAFKA_TOPIC: topic,
        KAFKA_PARTITION: 0,
        KAFKA_OFFSET: 0,
    }


async def test_failed_record_comes_back_and_holds_the_commit_until_it_succeeds(
    kafka: KafkaComponent,
    kafka_bootstrap: str,
    kafka_admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic("kafka-retry", partitions=2)
    group = unique_name("g")
    await produce_to(kafka_bootstrap, topic, 0, [{"n": n} for n in range(5)])
    later_done, third_attempt, release = asyncio.Event(), asyncio.Event(), asyncio.Event()
    handled: set[int] = set()
    attempts_at: list[int] = []

    async def handler(exchange: Exchange) -> None:
        n = exchange.body["n"]
        if n == "clock":
            return
        if n == 2:
            attempts_at.append(exchange.headers[KAFKA_OFFSET])
            if len(attempts_at) <= 2:
                exchange.exception = RuntimeError("declined")
                return
            third_attempt.set()
            await release.wait()
        elif n < 2:
            await later_done.wait()  # so 0 and 1 are acked only after 3 and 4 were handled
        handled.add(n)
        if {3, 4} <= handled:
            later_done.set()

    uri = f"kafka:{topic}?groupId={group}&concurrency=5&{FAST_REDELIVERY}"
    async with consuming(kafka, uri, handler):
        async with asyncio.timeout(DEADLINE):
            await third_attempt.wait()
        await until_committed(kafka_admin, group, topic, 2)
        assert handled == {0, 1, 3, 4}
        # A record on the other partition shows one more commit ran with 3 and 4
        # handled: partition 0 still stops at the record being redelivered.
        await produce_to(kafka_bootstrap, topic, 1, [{"n": "clock"}])
        await until_committed(kafka_admin, group, topic, 1, partition=1)
        assert await committed(kafka_admin, group, topic) == 2
        release.set()
        await until_committed(kafka_admin, group, topic, 5)

    assert attempts_at == [2, 2, 2]


async def test_restart_reads_again_only_what_was_not_committed(
    kafka: KafkaComponent, kafka_admin: AIOKafkaAdminClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-restart", partitions=1)
    group = unique_name("g")
    await send(kafka, topic, [{"n": n} for n in range(5)])
    uri = f"kafka:{topic}?groupId={group}&concurrency=3&{FAST_REDELIVERY}"
    first_run = Received()
    in_flight, release = asyncio.Event(), asyncio.Event()

    async def flaky(exchange: Exchange) -> None:
        n = exchange.body["n"]
        if n == 1:
            in_flight.set()
            await release.wait()
        elif n == 2:
            exchange.exception = RuntimeError("keeps failing")
        await first_run.add(exchange)

    async with consuming(kafka, uri, flaky) as consumer:
        await first_run.until(lambda exchanges: {0, 2, 3, 4} <= {e.body["n"] for e in exchanges})
        assert in_flight.is_set()
        stopping = asyncio.create_task(consumer.stop())
        await asyncio.sleep(0)  # let stop() start waiting for the exchange in flight
        assert not stopping.done()
        release.set()
        await stopping
    assert 1 in {exchange.body["n"] for exchange in first_run.exchanges}  # finished, not cut
    # 0 and 1 are committed; 2 failed, so 3 and 4 behind it are not.
    assert await committed(kafka_admin, group, topic) == 2

    second_run = Received()
    async with consuming(kafka, uri, second_run.add):
        await until_committed(kafka_admin, group, topic, 5)
    assert sorted(second_run.offsets) == [2, 3, 4]


async def test_batching_hands_a_whole_batch_at_once_and_commits_it_once_all_are_done(
    kafka: KafkaComponent,
    kafka_bootstrap: str,
    kafka_admin: AIOKafkaAdminClient,
    new_topic: TopicFactory,
) -> None:
    topic = await new_topic("kafka-batch", partitions=2)
    group = unique_name("g")
    await produce_to(kafka_bootstrap, topic, 0, [{"n": n} for n in range(10)])
    together, release = asyncio.Event(), asyncio.Event()
    active = 0
    received = Received()

    async def handler(exchange: Exchange) -> None:
        nonlocal active
        if exchange.body["n"] == "clock":
            return
        active += 1
        if active == 10:
            together.set()  # all ten are in the route at the same time
        await together.wait()
        if exchange.body["n"] == 9:
            await release.wait()
        await received.add(exchange)

    uri = (
        f"kafka:{topic}?groupId={group}&batching=true&maxPollRecords=10&pollTimeout=1&concurrency=2"
    )
    async with consuming(kafka, uri, handler):
        await received.until(lambda exchanges: len(exchanges) == 9)
        # A record on the other partition shows a commit ran meanwhile: nothing of the
        # batch is committed while one of its records is still in the route.
        await produce_to(kafka_bootstrap, topic, 1, [{"n": "clock"}])
        await until_committed(kafka_admin, group, topic, 1, partition=1)
        assert await committed(kafka_admin, group, topic) is None
        release.set()
        await until_committed(kafka_admin, group, topic, 10)
    assert sorted(received.offsets) == list(range(10))


async def test_a_batch_left_unfinished_is_read_again_whole(
    kafka: KafkaComponent, kafka_admin: AIOKafkaAdminClient, new_topic: TopicFactory
) -> None:
    """A record that keeps failing holds its whole batch: after a stop (as after a
    worker killed mid-batch), the next consumer reads every record of it again."""
    topic = await new_topic("kafka-batch-again", partitions=1)
    group = unique_name("g")
    await send(kafka, topic, [{"n": n} for n in range(5)])
    batches = "batching=true&maxPollRecords=5&pollTimeout=1"
    uri = f"kafka:{topic}?groupId={group}&{batches}&{FAST_REDELIVERY}"
    first_run = Received()

    async def failing_third(exchange: Exchange) -> None:
        if exchange.body["n"] == 2:
            exchange.exception = RuntimeError("keeps failing")
        await first_run.add(exchange)

    async with consuming(kafka, uri, failing_third):
        await first_run.until(lambda exchanges: len(exchanges) >= 6)  # 2 came back
    assert await committed(kafka_admin, group, topic) is None

    second_run = Received()
    async with consuming(kafka, uri, second_run.add):
        await until_committed(kafka_admin, group, topic, 5)
    assert sorted(second_run.offsets) == [0, 1, 2, 3, 4]


async def test_a_route_consumes_what_the_engine_sends(
    kafka: KafkaComponent, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-route", partitions=3)
    engine = Engine()
    engine.add_component("kafka", kafka)

    def double(exchange: Exchange) -> None:
        exchange.body = {"amount": Decimal(exchange.body["amount"]) * 2}  # sent as a string

    builder = RouteBuilder()
    builder.from_(f"kafka:{topic}?groupId={unique_name('g')}&concurrency=2").route_id(
        "doubler"
    ).process(double).to("mock:out")
    engine.add_routes(builder)
    await engine.start()
    try:
        for n in range(6):
            sent = await engine.send(
                f"kafka:{topic}", {"amount": Decimal(f"{n}.50")}, {KAFKA_KEY: f"k{n}"}
            )
            assert sent.exception is None
        done = await mock(engine, "mock:out").expect(6, within=DEADLINE)
    finally:
        await engine.stop()
    assert sorted(exchange.body["amount"] for exchange in done) == [
        Decimal(f"{2 * n + 1}.00") for n in range(6)
    ]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("concurrency=0", "concurrency"),
        ("concurrency=many", "concurrency"),
        ("valueFormat=xml", "valueFormat"),
        ("autoOffsetReset=middle", "autoOffsetReset"),
        ("groupid=g1", "groupid"),
        ("redeliveryDelay=-1", "redeliveryDelay"),
        ("maxPollRecords=0", "maxPollRecords"),
        ("pollTimeout=0", "pollTimeout"),
        ("batching=sometimes", "batching"),
    ],
)
def test_bad_options_are_refused_naming_the_option(query: str, named: str) -> None:
    with pytest.raises(EndpointError, match=f"'{named}'"):
        KafkaComponent("127.0.0.1:1").create_endpoint(f"kafka:orders?{query}")


@pytest.mark.parametrize("uri", ["kafka:", "kafka:bad topic", "kafka:a/b"])
def test_a_topic_name_kafka_would_refuse_is_refused(uri: str) -> None:
    with pytest.raises(EndpointError, match="topic name"):
        KafkaComponent("127.0.0.1:1").create_endpoint(uri)


async def test_without_brokers_the_endpoint_fails_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    endpoint = KafkaComponent().create_endpoint("kafka:orders")
    with pytest.raises(EndpointError, match="KAFKA_BOOTSTRAP_SERVERS"):
        await endpoint.start()


async def test_brokers_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-env", partitions=1)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    component = KafkaComponent()
    try:
        [exchange] = await send(component, topic, ["hello"])
    finally:
        await component.stop()
    assert exchange.headers[KAFKA_OFFSET] == 0


async def test_a_missing_topic_fails_at_endpoint_start(kafka: KafkaComponent) -> None:
    endpoint = kafka.create_endpoint("kafka:no-such-topic-here")
    with pytest.raises(EndpointError, match="does not exist"):
        await endpoint.start()


async def test_two_workers_of_a_group_share_the_partitions_and_commit_everything(
    kafka: KafkaComponent, kafka_admin: AIOKafkaAdminClient, new_topic: TopicFactory
) -> None:
    topic = await new_topic("kafka-group", partitions=4)
    group = unique_name("g")
    uri = f"kafka:{topic}?groupId={group}&concurrency=2"
    everything = Received()
    by_worker: dict[str, list[int]] = defaultdict(list)

    def worker(name: str) -> RouteHandler:
        async def handle(exchange: Exchange) -> None:
            by_worker[name].append(exchange.body["n"])
            await everything.add(exchange)

        return handle

    def numbers(exchanges: list[Exchange]) -> set[int]:
        return {exchange.body["n"] for exchange in exchanges}

    await send(kafka, topic, [{"n": n} for n in range(20)], headers=lambda n: {KAFKA_KEY: f"k{n}"})
    async with consuming(kafka, uri, worker("first")):
        await everything.until(lambda exchanges: numbers(exchanges) == set(range(20)))
        async with consuming(kafka, uri, worker("second")):  # the group rebalances
            await send(
                kafka,
                topic,
                [{"n": n} for n in range(20, 60)],
                headers=lambda n: {KAFKA_KEY: f"k{n}"},
            )
            await everything.until(lambda exchanges: numbers(exchanges) == set(range(60)))
            await until_total_committed(kafka_admin, group, 60)  # every partition to its end
    assert by_worker["second"], "the second worker got partitions too"


async def test_while_starting_a_consumer_owns_nothing_and_says_so(
    kafka: KafkaComponent, new_topic: TopicFactory
) -> None:
    """Readiness and metrics ask a starting worker for its partitions: before Faust's
    consumer thread runs, the answer is none, not an error."""
    topic = await new_topic("kafka-starting", partitions=2)
    endpoint = kafka.create_endpoint(f"kafka:{topic}?groupId={unique_name('g')}")
    await endpoint.start()
    consumer = endpoint.create_consumer(Received().add)
    assert isinstance(consumer, KafkaConsumer)
    starting = asyncio.create_task(consumer.start())
    answers: list[tuple[list[int], dict[int, int]]] = []
    try:
        async with asyncio.timeout(DEADLINE):
            while not starting.done():
                answers.append((consumer.assigned_partitions(), consumer.lag()))
                await asyncio.sleep(0)  # let the start go on between two questions
            await starting
        assert await eventually(consumer.assigned_partitions, deadline=DEADLINE)
    finally:
        await consumer.stop()
    assert answers, "the start was never asked about"
    assert answers[0] == ([], {})
