"""Reconciliation: the orders in the store against what the bank booked.

``python app.py reconcile [--statement FILE] [--since T] [--until T] [--grace S]
[--json]`` reports every mismatch, one line each, and exits 0 when everything
matches, 1 when anything does not, 2 when it could not run. With ``RECONCILE_PERIOD``
the ingestion service runs the same check on a timer (``Reconciler``). The bank booked under the
idempotency key the orchestrator sent, which is the order id, so a booking and its
order meet by that key. Both sides are streamed a page at a time: the bookings into
a temporary index by key (``BookingIndex``), then the orders from the store, each
page taking its bookings out of the index; what is left had no order in the window.
Memory holds a page and the findings, however long the statement.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path

import aiohttp
from prometheus_client import Gauge

from config.settings import Settings
from endpoints.exchange import Exchange, utcnow
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import OrderStore, StoreUnavailable
from payments.operations.booking_index import BookingIndex
from payments.operations.statements import (
    Booking,
    StatementError,
    ledger_bookings,
    statement_bookings,
)
from payments.operations.window import ALWAYS, Window
from payments.stores import store_for

logger = logging.getLogger(__name__)

PAGE = 500  # orders read from the store at once
LEDGER_PAGE = 1000  # bookings read from the bank or a statement at once
GRACE = timedelta(minutes=5)  # how long an order may be in flight before it counts


class Mismatch(StrEnum):
    UNKNOWN_BOOKING = "booked-without-order"  # no order has the booking's key
    BOOKED_BUT_FAILED = "booked-but-failed"
    BOOKED_BUT_CANCELLED = "booked-but-cancelled"
    BOOKED_NOT_TERMINAL = "booked-not-terminal"  # booked, and the order not ended in time
    NOT_BOOKED = "executed-not-booked"
    BOOKED_TWICE = "booked-more-than-once"
    DIFFERENT = "booking-differs"  # amount, currency, debtor or creditor
    STUCK = "not-terminal"  # not booked, not ended, older than the grace period


@dataclass(frozen=True)
class Finding:
    kind: Mismatch
    order_id: str | None
    references: tuple[str, ...] = ()
    detail: str = ""

    def line(self) -> str:
        references = ",".join(self.references) or "-"
        return f"{self.kind.value}\t{self.order_id or '-'}\t{references}\t{self.detail}"


@dataclass
class Report:
    orders: int = 0
    bookings: int = 0
    matched: int = 0
    in_flight: list[str] = field(default_factory=list)  # order ids
    mismatches: list[Finding] = field(default_factory=list)

    def document(self) -> dict[str, object]:
        return {
            **{name: value for name, value in asdict(self).items() if name != "mismatches"},
            "mismatches": [
                {**asdict(finding), "kind": finding.kind.value} for finding in self.mismatches
            ],
        }


async def reconcile(
    orders: AsyncIterable[Sequence[PaymentOrder]],
    bookings: AsyncIterable[Sequence[Booking]],
    store: OrderStore,
    *,
    now: datetime,
    grace: timedelta = GRACE,
    window: Window = ALWAYS,
) -> Report:
    """Every order created within ``window`` against every booking booked within it; a
    booking of an order created outside it is checked against that order. The window
    narrows what is compared, not what is read: every order of the store is."""
    report = Report()
    with BookingIndex() as index:
        async for page in bookings:
            booked = [booking for booking in page if booking.booked_at in window]
            index.add(booked)
            report.bookings += len(booked)
        async for listed in orders:
            chosen = [order for order in listed if order.created_at in window]
            taken = index.take([order.id for order in chosen])
            for order in chosen:
                report.orders += 1
                _check(report, order, taken.get(order.id, []), now - grace)
        for left in index.left():
            outside = await store.get(left[0].key)
            if outside is None:
                report.mismatches.extend(_unknown(booking) for booking in left)
            else:
                _check(report, outside, left, now - grace)
    return report


def _check(report: Report, order: PaymentOrder, booked: Sequence[Booking], old: datetime) -> None:
    references = tuple(booking.reference for booking in booked)
    found = len(report.mismatches)

    def mismatch(kind: Mismatch, detail: str = "") -> None:
        report.mismatches.append(Finding(kind, order.id, references, detail))

    waiting = order.status is OrderStatus.SCHEDULED and not booked  # for its day, as it should
    settled = order.status.terminal or (order.updated_at < old and not waiting)
    if not settled:
        report.in_flight.append(order.id)
    elif not booked and order.status is OrderStatus.EXECUTED:
        mismatch(Mismatch.NOT_BOOKED)
    elif not booked and not order.status.terminal:
        mismatch(Mismatch.STUCK, f"{order.status.value} since {order.updated_at.isoformat()}")
    elif booked and order.status is OrderStatus.FAILED:
        mismatch(Mismatch.BOOKED_BUT_FAILED)
    elif booked and order.status is OrderStatus.CANCELLED:
        mismatch(Mismatch.BOOKED_BUT_CANCELLED)
    elif booked and not order.status.terminal:
        mismatch(Mismatch.BOOKED_NOT_TERMINAL, f"{order.status.value}")
    if len(booked) > 1:
        mismatch(Mismatch.BOOKED_TWICE, f"{len(booked)} bookings")
    if booked and (differences := _differences(order, booked[0])):
        mismatch(Mismatch.DIFFERENT, "; ".join(differences))
    if booked and settled and len(report.mismatches) == found:
        report.matched += 1


def _differences(order: PaymentOrder, booking: Booking) -> list[str]:
    pairs = {
        "amount": (order.amount, booking.amount),
        "currency": (order.currency, booking.currency),
        "debtor": (order.debtor_account, booking.debtor),
        "creditor": (order.creditor_account, booking.creditor),
    }
    return [
        f"{name} {ours} != {theirs}" for name, (ours, theirs) in pairs.items() if ours != theirs
    ]


def _unknown(booking: Booking) -> Finding:
    detail = f"key {booking.key or '-'}, {booking.amount} {booking.currency}"
    return Finding(Mismatch.UNKNOWN_BOOKING, None, (booking.reference,), detail)


async def every_order(store: OrderStore) -> AsyncIterator[Sequence[PaymentOrder]]:
    """The store's orders, newest first, a page at a time."""
    after: str | None = None
    while page := await store.list(None, PAGE, after):
        yield page
        after = page[-1].id


LedgerReader = Callable[[int, int], Awaitable[Sequence[Booking]]]  # (offset, limit)


async def ledger_pages(
    read: LedgerReader, size: int = LEDGER_PAGE
) -> AsyncIterator[Sequence[Booking]]:
    """A bank's ledger ``size`` bookings at a time, until a page comes back empty."""
    offset = 0
    while page := await read(offset, size):
        yield page
        offset += len(page)


async def bank_ledger(
    gateway_url: str, size: int = LEDGER_PAGE
) -> AsyncIterator[Sequence[Booking]]:
    """The ledger of the bank at ``gateway_url`` (``GET /ledger?offset=&limit=``)."""
    url = f"{gateway_url.rstrip('/')}/ledger"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def read(offset: int, limit: int) -> list[Booking]:
            query = {"offset": offset, "limit": limit}
            async with session.get(url, params=query) as response:
                response.raise_for_status()
                return list(ledger_bookings(await response.json()))

        async for page in ledger_pages(read, size):
            yield page


async def statement_pages(path: Path) -> AsyncIterator[Sequence[Booking]]:
    """A statement file a page at a time (each page a short blocking read)."""
    bookings = statement_bookings(path)
    while page := list(itertools.islice(bookings, LEDGER_PAGE)):
        yield page


BookingSource = Callable[[], AsyncIterator[Sequence[Booking]]]


def banks_ledgers(gateway_url: str, more: Sequence[str] = ()) -> BookingSource:
    """The ledgers of the bank at ``gateway_url`` and of ``more`` banks (RECONCILE_LEDGERS),
    one after the other: the bookings of a flow that pays through all of them."""
    return chained(partial(bank_ledger, gateway_url), *(partial(bank_ledger, url) for url in more))


def chained(*sources: BookingSource) -> BookingSource:
    async def every() -> AsyncIterator[Sequence[Booking]]:
        for source in sources:
            async for page in source():
                yield page

    return every


class Reconciler:
    """The check as a route's processor: each run's report becomes the exchange's body
    and ``last``, and the gauge holds its mismatches by kind."""

    def __init__(self, store: OrderStore, bookings: BookingSource, gauge: Gauge) -> None:
        self.store = store
        self.bookings = bookings
        self.gauge = gauge
        self.last: dict[str, object] | None = None

    async def __call__(self, exchange: Exchange) -> None:
        now = utcnow()
        report = await reconcile(every_order(self.store), self.bookings(), self.store, now=now)
        found = Counter(finding.kind for finding in report.mismatches)
        for kind in Mismatch:
            self.gauge.labels(kind.value).set(found[kind])
        if report.mismatches:
            logger.warning(
                "reconciliation: %d mismatches: %s",
                len(report.mismatches),
                ", ".join(f"{kind.value} {count}" for kind, count in found.items()),
            )
        self.last = {"at": now.isoformat(), **report.document()}
        exchange.body = self.last


async def run(settings: Settings, argv: Sequence[str]) -> int:
    """``app.py reconcile …``: 0 all matches, 1 a mismatch, 2 it could not run."""
    args = _parser().parse_args(argv)
    try:
        if args.statement is not None:
            bookings = statement_pages(args.statement)
        elif settings.gateway_url:
            bookings = banks_ledgers(settings.gateway_url, settings.reconcile_ledgers)()
        else:
            raise StatementError("no bank to compare with: set GATEWAY_URL or give --statement")
        store = store_for(settings)
        try:
            await store.start()
            report = await reconcile(
                every_order(store),
                bookings,
                store,
                now=utcnow(),
                grace=timedelta(seconds=args.grace),
                window=Window.of(args),
            )
        finally:
            await store.stop()
    except aiohttp.ClientError as error:  # before OSError: a refused connection is both
        print(f"app.py reconcile: GATEWAY_URL={settings.gateway_url}: {error}", file=sys.stderr)
        return 2
    except (StatementError, StoreUnavailable, OSError) as error:
        print(f"app.py reconcile: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.document(), indent=2, default=str))
    else:
        for finding in report.mismatches:
            print(finding.line())
        print(
            f"{report.orders} orders, {report.bookings} bookings: {report.matched} matched, "
            f"{len(report.in_flight)} in flight, {len(report.mismatches)} mismatches"
        )
    return 1 if report.mismatches else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py reconcile", description=__doc__)
    parser.add_argument("--statement", type=Path, help="a CSV or camt.053 (.xml) statement")
    Window.add_arguments(parser, "orders created and bookings booked")
    parser.add_argument(
        "--grace",
        type=float,
        default=GRACE.total_seconds(),
        help="seconds an order may be in flight unreported (default %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    return parser
