"""Orders for a later day, on both stores: refused for a day in the past or too far
ahead; SCHEDULED until their business day, then paid as any order; kept across a
restart; never released early by the recovery sweep. The services read a clock the
test moves on: no test waits for a day."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.release import seed
from payments.bank import SimulatedBank
from payments.domain.model import OrderStatus, PaymentOrder
from payments.lifecycle.ingestion import RELEASE_PAGE
from payments.operations.reconciliation import Mismatch, reconcile
from payments.operations.statements import Booking
from payments.service.build import PaymentService
from payments.stores import SqliteOrderStore
from tests.payments.clocks import MONDAY, MovedClock
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.store_steps import new_order
from tests.payments.test_lifecycle import post, until_terminal
from tests.polling import eventually


@pytest.fixture(params=[False, True], ids=["kafka+ferretdb", "embedded+sqlite"])
def embedded(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


async def scheduled(
    client: aiohttp.ClientSession,
    service: PaymentService,
    order_id: str,
    key: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The order once it waits SCHEDULED (read with the client's ``key``, if any)."""

    async def there() -> dict[str, Any] | None:
        url = f"{service.http.url}/payment-orders/{order_id}"
        async with client.get(url, headers=key or {}) as response:
            order = await response.json()
        return dict(order) if order["status"] == "SCHEDULED" else None

    found: dict[str, Any] = await eventually(there)
    return found


@pytest.mark.parametrize(
    ("day", "detail"),
    [
        ("2026-12-06", "2026-12-06 is in the past (today is 2026-12-07)"),
        ("2027-12-08", "2027-12-08 is more than 365 days ahead (today is 2026-12-07)"),
        ("2027-02-29", "2027-02-29 is no day of the calendar"),
        ("7.12.2026", "must be a date written YYYY-MM-DD"),
        (20261214, "must be a date written YYYY-MM-DD"),
    ],
)
async def test_a_day_no_rule_can_pay_on_is_refused_naming_the_field(
    start_service: StartService, client: aiohttp.ClientSession, day: Any, detail: str
) -> None:
    service = await start_service(embedded=True, clock=MovedClock(MONDAY))
    status, problem, _ = await post(client, service, {**VALID_ORDER, "requestedExecutionDate": day})
    assert status in (400, 422)
    assert [(e["field"], detail in e["detail"]) for e in problem["errors"]] == [
        ("requestedExecutionDate", True)
    ]


async def test_an_order_for_a_later_day_waits_scheduled_then_is_paid_on_that_day(
    start_service: StartService, client: aiohttp.ClientSession, embedded: bool
) -> None:
    clock, bank = MovedClock(MONDAY), SimulatedBank()
    service = await start_service(embedded=embedded, bank=bank, clock=clock, release_period=0.05)
    status, created, _ = await post(
        client, service, {**VALID_ORDER, "requestedExecutionDate": "2026-12-12"}
    )
    assert status == 201
    assert (created["requestedExecutionDate"], created["executionDate"]) == (
        "2026-12-12",
        "2026-12-14",
    )
    waiting = await scheduled(client, service, created["id"])
    assert [(step["status"], step["reason"]) for step in waiting["history"]] == [
        (
            "PENDING",
            "order received, to be paid on 2026-12-14 "
            "(2026-12-12 is a weekend; 2026-12-13 is a weekend)",
        ),
        ("VALIDATED", "request validated"),
        ("ACCEPTED", "accepted for execution"),
        ("SCHEDULED", "scheduled for 2026-12-14"),
    ]
    clock.move(timedelta(days=5))  # Saturday: not yet
    for _ in range(3):  # a few releases later, still waiting
        assert (await scheduled(client, service, created["id"]))["status"] == "SCHEDULED"
    assert bank.entries_for(created["id"]) == []

    clock.move(timedelta(days=2))  # Monday the 14th
    paid = await until_terminal(client, service, created["id"])
    assert paid["status"] == "EXECUTED"
    assert [step["status"] for step in paid["history"]][-3:] == [
        "SCHEDULED",
        "EXECUTING",
        "EXECUTED",
    ]
    assert len(bank.entries_for(created["id"])) == 1


async def test_an_order_for_today_before_the_cut_off_is_paid_at_once(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(embedded=True, clock=MovedClock(MONDAY))
    _, created, _ = await post(
        client, service, {**VALID_ORDER, "requestedExecutionDate": "2026-12-07"}
    )
    paid = await until_terminal(client, service, created["id"])
    assert paid["status"] == "EXECUTED"
    assert paid["executionDate"] == "2026-12-07"
    assert "SCHEDULED" not in [step["status"] for step in paid["history"]]


async def test_scheduled_orders_outlive_a_restart_and_the_recovery_sweep(
    start_service: StartService, client: aiohttp.ClientSession, embedded: bool
) -> None:
    clock, bank = MovedClock(MONDAY), SimulatedBank()
    settings: dict[str, Any] = {
        "embedded": embedded,
        "bank": bank,
        "clock": clock,
        "release_period": 0.05,
        "recovery_period": 0.05,
        "recovery_after": 0.01,
    }
    first = await start_service(**settings)
    ids = []
    for _ in range(3):
        _, created, _ = await post(
            client, first, {**VALID_ORDER, "requestedExecutionDate": "2026-12-08"}
        )
        ids.append(created["id"])
    for order_id in ids:
        await scheduled(client, first, order_id)
    sweep = first.engine.routes["recover-payment-orders"].metrics

    async def swept_twice() -> bool:
        return sweep.completed >= 2

    await eventually(swept_twice)
    for order_id in ids:  # the sweep released none early
        assert (await scheduled(client, first, order_id))["status"] == "SCHEDULED"
    await first.stop()

    clock.move(timedelta(days=1))
    second = await start_service(**settings)
    for order_id in ids:
        assert (await until_terminal(client, second, order_id))["status"] == "EXECUTED"
        assert len(bank.entries_for(order_id)) == 1


async def test_more_orders_due_than_a_page_all_go_in_one_release(
    start_service: StartService, tmp_path: Path
) -> None:
    """The release takes page after page until none is left, not a page per period: one
    release (its period an hour) sends more than two pages' orders, each paid once.
    How a store pages its due orders is the store contract's (both stores); this is the
    route's loop, so one store will do. FerretDB on SQLite, which reads each order by
    scanning the collection, is too slow for a test of this size; ``python -m
    bench.release --store mongo`` measures one on FerretDB on PostgreSQL."""
    count = 2 * RELEASE_PAGE + 100
    store = SqliteOrderStore(tmp_path / "orders.sqlite3")
    await store.start()
    await seed(store, count, MONDAY.date())
    await store.stop()

    bank = SimulatedBank()
    service = await start_service(
        embedded=True, bank=bank, clock=MovedClock(MONDAY), release_period=3600
    )

    async def all_executed() -> bool:
        return (await service.store.count_by_status()).get(OrderStatus.EXECUTED) == count

    await eventually(all_executed, deadline=120)
    release = service.engine.routes["release-payment-orders"].metrics
    assert (release.completed, release.failed) == (1, 0)
    assert bank.booked() == count
    assert len({payment.idempotency_key for payment in bank.ledger()}) == count


async def test_the_day_is_part_of_the_idempotent_request(
    start_service: StartService, client: aiohttp.ClientSession
) -> None:
    service = await start_service(embedded=True, clock=MovedClock(MONDAY))
    body = {**VALID_ORDER, "requestedExecutionDate": "2026-12-10"}
    first, created, _ = await post(client, service, body, key="k-1")
    again, replayed, _ = await post(client, service, body, key="k-1")
    other, problem, _ = await post(
        client, service, {**body, "requestedExecutionDate": "2026-12-11"}, key="k-1"
    )
    assert (first, again, other) == (201, 200, 422)
    assert replayed["id"] == created["id"]
    assert [e["field"] for e in problem["errors"]] == ["Idempotency-Key"]


async def test_reconciliation_waits_for_a_scheduled_order_and_flags_a_cancelled_one_paid(
    tmp_path: Path,
) -> None:
    """A SCHEDULED order without a booking is waiting, not stuck, however old; a booking
    of a CANCELLED order is a mismatch, as is one of a SCHEDULED order (paid early)."""
    old = MONDAY - timedelta(days=30)
    waiting, cancelled, early = (
        new_order(at=old).model_copy(update={"status": status})
        for status in (OrderStatus.SCHEDULED, OrderStatus.CANCELLED, OrderStatus.SCHEDULED)
    )

    def booking(order: PaymentOrder) -> Booking:
        return Booking(
            f"ref-{order.id}", order.id, order.debtor_account, order.creditor_account,
            order.amount, order.currency, old,
        )  # fmt: skip

    async def pages(*items: Any) -> AsyncIterator[Sequence[Any]]:
        yield items

    store = SqliteOrderStore(tmp_path / "orders.sqlite3")
    await store.start()
    try:
        report = await reconcile(
            pages(waiting, cancelled, early),
            pages(booking(cancelled), booking(early)),
            store,
            now=MONDAY,
        )
    finally:
        await store.stop()
    assert report.in_flight == [waiting.id]
    assert {(finding.kind, finding.order_id) for finding in report.mismatches} == {
        (Mismatch.BOOKED_BUT_CANCELLED, cancelled.id),
        (Mismatch.BOOKED_NOT_TERMINAL, early.id),
    }
