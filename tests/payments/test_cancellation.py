"""Cancelling an order before it is paid, on both stores: CANCELLED for good, answered
again when asked again, 409 once paid or on its way, 404 for another client's; and
cancels racing the release: no order both CANCELLED and paid, checked against the
bank's ledger. The services read a clock the test moves on."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from endpoints.exchange import Exchange
from payments.bank import SimulatedBank
from payments.domain.model import OrderStatus
from payments.domain.topics import TopicNames
from payments.lifecycle.cancellation import Cancellation
from payments.lifecycle.keys import CLIENT_ID, ORDER_ID
from payments.lifecycle.orders import require
from payments.service.build import PaymentService
from routes.metrics import RouteMetrics
from tests.faults.topics import read_topic
from tests.payments.clocks import MONDAY, MovedClock
from tests.payments.conftest import KEY_A, KEY_B, KEY_OPS, VALID_ORDER, StartService, bearer
from tests.payments.test_lifecycle import get, post, until_terminal
from tests.payments.test_scheduled_orders import scheduled
from tests.polling import eventually

LATER = {**VALID_ORDER, "requestedExecutionDate": "2026-12-09"}  # a Wednesday


async def cancel(
    client: aiohttp.ClientSession,
    service: PaymentService,
    order_id: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    url = f"{service.http.url}/payment-orders/{order_id}/cancel"
    async with client.post(url, headers=headers or {}) as response:
        return response.status, await response.json(content_type=None)


@pytest.fixture(params=[False, True], ids=["kafka+ferretdb", "embedded+sqlite"])
def embedded(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


CancelledEvents = Callable[[], Awaitable[list[str]]]


@pytest.fixture
def cancelled_events(kafka_bootstrap: str, tenant: str) -> CancelledEvents:
    """The keys (order ids) of the records on this test's ``payment.cancelled``."""

    async def keys() -> list[str]:
        events = await read_topic(kafka_bootstrap, TopicNames(f"{tenant}.").cancelled)
        return [event.key.decode() for event in events]

    return keys


async def runs_twice_more(route: RouteMetrics) -> None:
    """Until the route completed two more exchanges than it has now."""
    seen = route.completed

    async def twice_more() -> bool:
        return route.completed >= seen + 2

    await eventually(twice_more)


async def test_a_scheduled_order_cancelled_is_never_paid_and_its_event_published_once(
    start_service: StartService,
    client: aiohttp.ClientSession,
    embedded: bool,
    cancelled_events: CancelledEvents,
) -> None:
    clock, bank = MovedClock(MONDAY), SimulatedBank()
    service = await start_service(embedded=embedded, bank=bank, clock=clock, release_period=0.05)
    _, created, _ = await post(client, service, LATER)
    await scheduled(client, service, created["id"])

    status, cancelled = await cancel(client, service, created["id"])
    assert status == 200
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["history"][-1]["reason"] == "cancelled by the client"
    again, repeated = await cancel(client, service, created["id"])
    assert (again, repeated) == (200, cancelled)

    clock.move(timedelta(days=2))  # its day: the release passes it by
    await runs_twice_more(service.engine.routes["release-payment-orders"].metrics)
    _, order = await get(client, service, f"/payment-orders/{created['id']}")
    assert order["status"] == "CANCELLED"
    assert bank.entries_for(created["id"]) == []
    if not embedded:
        assert await cancelled_events() == [created["id"]]


async def test_a_cancelled_order_s_event_lost_in_a_crash_is_published_by_the_sweep(
    start_service: StartService,
    client: aiohttp.ClientSession,
    embedded: bool,
    cancelled_events: CancelledEvents,
) -> None:
    """A crash between the cancel's move and its event: the order is CANCELLED and owes
    its event; the recovery sweep publishes it, once, and the order is never paid."""
    clock, bank = MovedClock(MONDAY), SimulatedBank()
    service = await start_service(
        embedded=embedded, bank=bank, clock=clock, recovery_period=0.05, recovery_after=0.01
    )
    _, created, _ = await post(client, service, LATER)
    await scheduled(client, service, created["id"])
    order = await require(service.store, created["id"])
    crashed = Exchange.of(headers={CLIENT_ID: order.client_id})
    crashed.properties[ORDER_ID] = order.id
    # The cancel route's first step alone, as if the process died right after it.
    await Cancellation(service.store, clock).cancel(crashed)
    assert crashed.body.status is OrderStatus.CANCELLED

    async def event_marked() -> bool:
        return (await require(service.store, order.id)).event_published_at is not None

    await eventually(event_marked)
    await runs_twice_more(service.engine.routes["recover-payment-orders"].metrics)
    assert (await get(client, service, f"/payment-orders/{order.id}"))[1]["status"] == "CANCELLED"
    assert bank.entries_for(order.id) == []
    if not embedded:  # published once: the sweeps since found nothing owed
        assert await cancelled_events() == [order.id]


async def test_an_order_paid_or_unknown_cannot_be_cancelled(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(embedded=True)
    _, created, _ = await post(client, service, VALID_ORDER)
    await until_terminal(client, service, created["id"])

    status, problem = await cancel(client, service, created["id"])
    assert status == 409
    assert problem["detail"] == (
        f"payment order {created['id']} is EXECUTED: it can no longer be cancelled"
    )
    status, problem = await cancel(client, service, "no-such-order")
    assert (status, problem["detail"]) == (404, "no payment order no-such-order")


async def placed_by_shop_a(
    start_service: StartService, client: aiohttp.ClientSession, clients_file: Path
) -> tuple[PaymentService, str]:
    """A service with clients and operators, and shop A's order for a later day, once
    SCHEDULED."""
    service = await start_service(
        embedded=True, api_clients_file=clients_file, clock=MovedClock(MONDAY)
    )
    async with client.post(
        f"{service.http.url}/payment-orders", json=LATER, headers=bearer(KEY_A)
    ) as response:
        order_id = (await response.json())["id"]
    await scheduled(client, service, order_id, bearer(KEY_A))
    return service, order_id


async def test_another_client_s_order_is_unknown_to_a_cancel(
    start_service: StartService, client: aiohttp.ClientSession, clients_file: Path
) -> None:
    service, order_id = await placed_by_shop_a(start_service, client, clients_file)

    status, _ = await cancel(client, service, order_id, bearer(KEY_B))
    assert status == 404
    status, order = await cancel(client, service, order_id, bearer(KEY_A))
    assert (status, order["status"]) == (200, "CANCELLED")


async def test_an_operator_cancels_any_client_s_order_and_nothing_else(
    start_service: StartService, client: aiohttp.ClientSession, clients_file: Path
) -> None:
    service, order_id = await placed_by_shop_a(start_service, client, clients_file)

    status, order = await cancel(client, service, order_id, bearer(KEY_OPS))
    assert (status, order["status"]) == (200, "CANCELLED")
    assert order["history"][-1]["reason"] == "cancelled by the operator ops"
    async with client.get(
        f"{service.http.url}/payment-orders/{order_id}", headers=bearer(KEY_OPS)
    ) as response:
        assert response.status == 401  # an operator reads orders in the console, not here


async def test_cancels_racing_the_release_never_leave_an_order_cancelled_and_paid(
    start_service: StartService, client: aiohttp.ClientSession, embedded: bool
) -> None:
    clock, bank = MovedClock(MONDAY), SimulatedBank()
    service = await start_service(embedded=embedded, bank=bank, clock=clock, release_period=0.02)
    placed = await asyncio.gather(*(post(client, service, LATER) for _ in range(200)))
    ids = [order["id"] for _, order, _ in placed]
    for order_id in ids:
        await scheduled(client, service, order_id)

    at_once = asyncio.Semaphore(16)
    # FerretDB on SQLite writes one at a time: 200 executions and 200 cancels at once
    # take it longer than the client fixture's 10 s per request.
    patient = aiohttp.ClientTimeout(total=60)

    async def cancel_one(session: aiohttp.ClientSession, order_id: str) -> tuple[int, Any]:
        async with at_once:
            return await cancel(session, service, order_id)

    async with aiohttp.ClientSession(timeout=patient) as session:
        clock.move(timedelta(days=2))  # the release starts taking them now
        answers = await asyncio.gather(*(cancel_one(session, order_id) for order_id in ids))
    assert {status for status, _ in answers} <= {200, 409}
    ended = [await until_terminal(client, service, order_id, 60) for order_id in ids]
    for order_id, (status, _), order in zip(ids, answers, ended, strict=True):
        paid = bank.entries_for(order_id)
        if status == 200:
            assert (order["status"], paid) == ("CANCELLED", []), order_id
        else:
            assert (order["status"], len(paid)) == ("EXECUTED", 1), order_id
