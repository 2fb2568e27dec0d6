"""The versioning rule and the contracts on real Kafka and FerretDB: a command with a
field the processor does not know is executed, one of a major it does not know — or with
an account off the grammar, or a member named twice — is dead-lettered with the reason
and the worker goes on, and every record a run puts on the payment topics keeps the
committed contract of its topic."""

from __future__ import annotations

import asyncio
from collections import Counter
from functools import partial

import aiohttp
import pytest
from aiokafka import ConsumerRecord

from endpoints.exchange import utcnow
from payments.bank import SimulatedBank
from payments.domain.messages import read_event
from payments.domain.model import OrderStatus
from payments.domain.topics import TopicNames
from payments.service.build import PaymentService
from routes.route import SOURCE_BATCHES
from tests.faults.topics import header_values, read_topic
from tests.payments.conftest import StartService
from tests.payments.store_steps import executing, new_order
from tests.payments.test_event_outbox import ended_without_event, event_marked
from tests.payments.test_lifecycle import ORDER, post, until_terminal
from tests.payments.wire import MessageContract, command_json, produce
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def records(bootstrap: str, topic: str, at_least: int) -> list[ConsumerRecord]:
    """Every record of ``topic`` once it holds ``at_least``."""

    async def enough() -> list[ConsumerRecord]:
        found = await read_topic(bootstrap, topic)
        return found if len(found) >= at_least else []

    found: list[ConsumerRecord] = await eventually(enough, deadline=20, interval=0.3)
    return found


async def test_a_command_with_a_field_the_processor_does_not_know_is_executed(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """An additive change: a producer of the same major that already writes a new field."""
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    order = await ended_without_event(service, OrderStatus.EXECUTING)

    newer = command_json(order, priority="urgent", purpose={"code": "SALA"})
    await produce(kafka_bootstrap, TopicNames(f"{tenant}.").execute, [(order.id, newer)])

    executed = await eventually(lambda: event_marked(service, order.id))
    assert executed.status is OrderStatus.EXECUTED
    assert len(bank.entries_for(order.id)) == 1


async def test_a_command_of_an_unknown_major_is_dead_lettered_and_the_worker_goes_on(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """The unknown major comes first, on the same key (so the same partition) as a
    version 1 command behind it: that one executes only if the worker went on."""
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTING)
    unknown = command_json(order, schemaVersion=2, amount={"value": "125.50", "scale": 2})

    await produce(
        kafka_bootstrap, topics.execute, [(order.id, unknown), (order.id, command_json(order))]
    )

    executed = await eventually(lambda: event_marked(service, order.id))
    [letter] = await records(kafka_bootstrap, topics.dead_letter, 1)
    letter_headers = header_values(letter)
    assert "schemaVersion 2" in letter_headers["x-exception-message"]
    assert letter_headers["x-exception-type"].endswith("PoisonCommand")
    assert letter.value == unknown  # the command as it was read
    assert MessageContract.of("deadLetteredCommand").header_problems(letter_headers) == []
    assert executed.status is OrderStatus.EXECUTED
    assert len(bank.entries_for(order.id)) == 1


@pytest.mark.parametrize(
    ("poison", "reason"),
    [
        # The creditor with a right-to-left override: shown reversed, paid to whom?
        ({"creditorAccount": "GB82WEST12345698765432\u202e"}, "creditorAccount"),
        ({"creditorAccount": "\uff27\uff2282WEST12345698765432"}, "creditorAccount"),
        ({"debtorAccount": "DE89370400440532013000\u0000"}, "debtorAccount"),
        (b', "amount": "1000000.00"}', 'member "amount" appears more than once'),
    ],
)
async def test_a_command_smuggling_an_account_or_a_second_amount_is_never_paid(
    start_service: StartService,
    kafka_bootstrap: str,
    tenant: str,
    poison: dict[str, str] | bytes,
    reason: str,
) -> None:
    """The poison comes first on the order's key; the order's own command behind it pays
    the stored accounts and amount, once."""
    bank = SimulatedBank()
    service = await start_service(bank=bank)
    topics = TopicNames(f"{tenant}.")
    order = await ended_without_event(service, OrderStatus.EXECUTING)
    if isinstance(poison, bytes):
        smuggled = command_json(order)[:-1] + poison
    else:
        smuggled = command_json(order, **poison)

    await produce(
        kafka_bootstrap, topics.execute, [(order.id, smuggled), (order.id, command_json(order))]
    )

    executed = await eventually(lambda: event_marked(service, order.id))
    [letter] = await records(kafka_bootstrap, topics.dead_letter, 1)
    letter_headers = header_values(letter)
    assert reason in letter_headers["x-exception-message"]
    assert letter_headers["x-exception-type"].endswith("PoisonCommand")
    assert letter.value == smuggled
    assert executed.status is OrderStatus.EXECUTED
    [payment] = bank.entries_for(order.id)
    assert (payment.debtor_account, payment.creditor_account, payment.amount) == (
        order.debtor_account,
        order.creditor_account,
        order.amount,
    )


async def _run(
    service: PaymentService, client: aiohttp.ClientSession, orders: int
) -> Counter[OrderStatus]:
    ids = [(await post(client, service, ORDER))[1]["id"] for _ in range(orders)]
    ended = await asyncio.gather(*(until_terminal(client, service, order_id) for order_id in ids))
    for order_id in ids:  # every event is on its topic once its order is marked
        await eventually(partial(event_marked, service, order_id))
    return Counter(OrderStatus(order["status"]) for order in ended)


async def test_every_record_of_a_run_keeps_the_contract_of_its_topic(
    start_service: StartService, client: aiohttp.ClientSession, kafka_bootstrap: str, tenant: str
) -> None:
    """Orders paid and refused: commands, events and dead letters, read back from
    Kafka, against the payload and header schemas the AsyncAPI document gives them."""
    service = await start_service(bank=SimulatedBank(permanent_failure_rate=0.5, seed=11))
    topics = TopicNames(f"{tenant}.")

    ended = await _run(service, client, orders=8)

    assert ended[OrderStatus.EXECUTED] > 0, ended
    assert ended[OrderStatus.FAILED] > 0, ended
    expected = {
        topics.execute: ("executePaymentCommand", 8),
        topics.executed: ("paymentExecuted", ended[OrderStatus.EXECUTED]),
        topics.failed: ("paymentFailed", ended[OrderStatus.FAILED]),
        topics.dead_letter: ("deadLetteredCommand", ended[OrderStatus.FAILED]),
    }
    found = {}
    for topic, (message_id, count) in expected.items():
        contract = MessageContract.of(message_id)
        found[topic] = await records(kafka_bootstrap, topic, count)
        assert len(found[topic]) == count, topic
        problems = {
            (record.partition, record.offset): contract.problems(record) for record in found[topic]
        }
        assert all(not listed for listed in problems.values()), (topic, problems)
    for topic, status in (
        (topics.executed, OrderStatus.EXECUTED),
        (topics.failed, OrderStatus.FAILED),
    ):
        assert {read_event(record.value).status for record in found[topic]} == {status}


async def test_a_poison_record_in_a_batch_is_dead_lettered_alone_and_the_rest_executed(
    start_service: StartService, kafka_bootstrap: str, tenant: str
) -> None:
    """Four commands and an unreadable record, taken as one batch by a worker that
    starts after them: the unreadable one is dead-lettered, the four go through the
    batch steps as one group and are each paid once. (A worker starting cold may take
    them in more than one batch, records coming slower than its poll timeout at first.)"""
    ingest = await start_service("ingest")  # the topics, and the store with the orders
    orders = [await executing(ingest.store, new_order(at=utcnow())) for _ in range(4)]
    commands = [(order.id, command_json(order)) for order in orders]
    poison = (orders[0].id, b"{not json")
    topics = TopicNames(f"{tenant}.")
    await produce(kafka_bootstrap, topics.execute, [*commands[:2], poison, *commands[2:]])

    bank = SimulatedBank()
    worker = await start_service("process", bank=bank)
    for order in orders:
        executed = await eventually(partial(event_marked, worker, order.id))
        assert executed.status is OrderStatus.EXECUTED
    letters = await records(kafka_bootstrap, topics.dead_letter, 1)

    assert [letter.value for letter in letters] == [b"{not json"]
    assert all(len(bank.entries_for(order.id)) == 1 for order in orders)
    route = worker.engine.routes["execute-payment-order"]
    taken = route.metrics.batch_sizes[SOURCE_BATCHES]
    claimed = route.metrics.batch_sizes["batch claimPayments"]
    assert taken.total == 5
    assert claimed.total == 4
    # The poison splits no group: at most one for each batch taken (batches taken
    # together may share one).
    assert claimed.count <= taken.count
