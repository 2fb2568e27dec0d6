"""The terminal event is never lost: a worker that died after ending an order and
before publishing its event leaves the command unacknowledged, and whoever reads it
again publishes the event, once (real Kafka and FerretDB)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from endpoints.exchange import utcnow
from payments.bank import SimulatedBank
from payments.domain.messages import ExecutePaymentCommand
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.topics import TopicNames
from payments.service.build import PaymentService
from tests.payments.conftest import StartService
from tests.payments.store_steps import executing, new_order, transition
from tests.payments.test_lifecycle import read_topic
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def ended_without_event(
    service: PaymentService, status: OrderStatus, *, ago: timedelta = timedelta(minutes=1)
) -> PaymentOrder:
    """An order that reached ``status`` ``ago``, as a worker killed right after writing
    it leaves it: command published and its payment claimed, event not (or, for
    EXECUTING, being paid)."""
    at = utcnow() - ago
    store = service.store
    order = await executing(store, new_order(at=at))
    await store.settle([order.id])
    assert await store.claim_payments([order.id]) == [True]
    if status is OrderStatus.EXECUTING:
        return order
    reason = "paid, gateway reference ref-1" if status is OrderStatus.EXECUTED else "refused"
    executing_status = OrderStatus.EXECUTING
    ended = await transition(store, order.id, executing_status, status, at, reason, 2, "ref-1")
    assert ended is not None
    return ended


async def send_command(bootstrap: str, topics: TopicNames, order: PaymentOrder, times: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for _ in range(times):
            await producer.send_and_wait(
                topics.execute,
                ExecutePaymentCommand.for_order(order).model_dump_json(by_alias=True).encode(),
                key=order.id.encode(),
            )
    finally:
        await producer.stop()


async def records_within(bootstrap: str, topic: str, seconds: float) -> list[Any]:
    """Every record on ``topic`` that a reader from the start sees within ``seconds``:
    for asserting that no second one arrives."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            batches = await consumer.getmany(timeout_ms=max(1, int(left * 1000)))
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def event_marked(service: PaymentService, order_id: str) -> PaymentOrder | None:
    order = await service.store.get(order_id)
    return order if order is not None and order.event_published_at is not None else None


async def test_a_command_read_again_publishes_the_missing_executed_event_once(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTED)

    await send_command(kafka_bootstrap, topics, order, times=3)

    marked = await eventually(lambda: event_marked(service, order.id))
    route = service.engine.routes["execute-payment-order"]
    await eventually(lambda: route.metrics.completed >= 3)
    events = await read_topic(kafka_bootstrap, topics.executed, 1)
    event = json.loads(events[0].value)
    assert (event["orderId"], event["status"]) == (order.id, "EXECUTED")
    assert (event["gatewayReference"], event["attempts"]) == ("ref-1", 2)
    assert bank.entries_for(order.id) == []  # nothing paid again
    assert marked.status is OrderStatus.EXECUTED
    assert len(await records_within(kafka_bootstrap, topics.executed, 3)) == 1


async def test_a_command_read_again_publishes_a_missing_failure_once_and_letters_nothing(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """An order FAILED after its command went to the dead letters, and the worker died
    before the event: a command read again publishes the event, and no second letter
    (the failure is no error of this command's)."""
    service = await start_service(bank=SimulatedBank())
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.FAILED)

    await send_command(kafka_bootstrap, topics, order, times=2)

    await eventually(lambda: event_marked(service, order.id))
    route = service.engine.routes["execute-payment-order"]
    await eventually(lambda: route.metrics.completed >= 2)
    [event] = await records_within(kafka_bootstrap, topics.failed, 3)
    assert json.loads(event.value)["reason"] == "refused"
    assert await records_within(kafka_bootstrap, topics.dead_letter, 1) == []
    assert route.metrics.dead_lettered == 0


async def test_an_event_just_on_its_way_is_not_published_twice(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """The order ended a moment ago: its worker may be publishing the event right now.
    The duplicate command waits for the mark instead of publishing a second event."""
    service = await start_service(bank=SimulatedBank())
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTED, ago=timedelta(0))
    route = service.engine.routes["execute-payment-order"]

    await send_command(kafka_bootstrap, topics, order, times=1)
    await eventually(lambda: route.metrics.redelivered >= 1)  # it is waiting
    await service.store.mark_events_published([order.id], utcnow())  # the live worker's mark

    await eventually(lambda: route.metrics.completed >= 1)
    assert await records_within(kafka_bootstrap, topics.executed, 3) == []


async def test_a_command_read_again_after_its_event_was_published_is_skipped_at_once(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """The refused claim of its payment makes the worker read the order, and the mark
    it finds there ends the command at once."""
    service = await start_service(bank=SimulatedBank())
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTED)
    await service.store.mark_events_published([order.id], utcnow())
    route = service.engine.routes["execute-payment-order"]

    await send_command(kafka_bootstrap, topics, order, times=1)

    await eventually(lambda: route.metrics.completed >= 1)
    assert route.metrics.redelivered == 0  # no wait for an event already out
    assert await records_within(kafka_bootstrap, topics.executed, 3) == []


class WatchedBank(SimulatedBank):
    """A bank that says when a payment call arrives, and takes a while to answer."""

    def __init__(self) -> None:
        super().__init__(latency=0.5)
        self.called = asyncio.Event()

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.called.set()
        return await super().execute(*args, **kwargs)


async def test_a_worker_that_loses_the_race_to_end_an_order_publishes_its_event_if_owed(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """Another worker ended the order while this one was paying, then died before
    publishing: the loser of the compare-and-set publishes the event, once."""
    bank = WatchedBank()
    service = await start_service(bank=bank)
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTING)

    await send_command(kafka_bootstrap, topics, order, times=1)
    async with asyncio.timeout(20):
        await bank.called.wait()
    await transition(  # the other worker, an event grace ago
        service.store,
        order.id,
        OrderStatus.EXECUTING,
        OrderStatus.EXECUTED,
        utcnow() - timedelta(minutes=1),
        "paid, gateway reference ref-1",
        gateway_reference="ref-1",
    )

    await eventually(lambda: event_marked(service, order.id))
    events = await records_within(kafka_bootstrap, topics.executed, 3)
    assert [json.loads(event.value)["gatewayReference"] for event in events] == ["ref-1"]
