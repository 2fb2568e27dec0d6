"""``python -m bench.queries``: what a listing page, a metrics scrape and the console's
counts cost as the store grows — at 3,000 and at 100,000 orders by default.

Seeds orders in bulk through the store's own batch calls (not through the API: the
figure is about reading), most of them EXECUTED, lets the service fold them into its
summaries, then times each query against a running ``app.py all`` on that store
(MongoDB-wire: FerretDB on PostgreSQL from ``infra`` unless MONGO_URI is set). At each
size it also reconciles the whole store with a statement of one booking for each
EXECUTED order (``payments.operations.reconciliation``, as ``app.py reconcile`` does): orders
reconciled per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from bench.limits import new_order, write_orders
from bench.report import write_json
from config import event_loop
from endpoints.exchange import utcnow
from infra import Stack
from infra.services import service_processes
from payments.domain.model import OrderStatus, PaymentOrder
from payments.operations.reconciliation import every_order, reconcile, statement_pages
from payments.operations.statements import write_csv
from payments.stores import MongoOrderStore

QUERIES = {
    "GET /payment-orders?limit=20": "/payment-orders?limit=20",
    "GET /payment-orders?status=EXECUTED&limit=20": "/payment-orders?status=EXECUTED&limit=20",
    "GET /metrics": "/metrics",
    "GET /console/api/counts": "/console/api/counts",
}
SEED_BATCH = 500
EXECUTED_SHARE = 0.9  # of the seeded orders; the rest stay PENDING


@contextlib.asynccontextmanager
async def mongo(state_dir: Path, backend: str) -> AsyncIterator[str]:
    """MONGO_URI, else FerretDB (on ``backend``) started here and stopped at the end."""
    if "MONGO_URI" in os.environ:
        yield os.environ["MONGO_URI"]
        return
    stack = Stack(state_dir, backend=backend)
    servers = [server for server in stack.servers if server is not stack.kafka]
    try:
        for server in servers:
            server.start()
        yield stack.ferretdb.env()["MONGO_URI"]
    finally:
        for server in reversed(servers):
            server.stop()


async def seed(store: MongoOrderStore, count: int) -> None:
    """``count`` orders as the services leave them, ``SEED_BATCH`` per store call: most
    EXECUTED, with exactly the calls the services make (``write_orders``), the rest
    PENDING."""
    for start in range(0, count, SEED_BATCH):
        size = min(count - start, SEED_BATCH)
        executed = int(size * EXECUTED_SHARE)
        await write_orders(store, store, executed)
        await store.create_all([new_order() for _ in range(size - executed)])


async def folded(store: MongoOrderStore, deadline: float) -> None:
    """Until the service folded every seeded write into the summaries (each waits out
    the grace first)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while (await store.summary.state()).slices:
        if loop.time() > end:
            raise TimeoutError("the service did not fold the seeded writes in time")
        await asyncio.sleep(0.5)  # polling the service's folds until the deadline


def ledger_entry(order: PaymentOrder) -> dict[str, object]:
    """The bank's booking of ``order``, as ``GET /ledger`` and a CSV statement name it."""
    return {
        "reference": f"ref-{order.id}",
        "idempotencyKey": order.id,
        "debtorAccount": order.debtor_account,
        "creditorAccount": order.creditor_account,
        "amount": order.amount,
        "currency": order.currency,
        "bookedAt": order.updated_at.isoformat(),
    }


async def reconciled(store: MongoOrderStore, work: Path) -> dict[str, float]:
    """One reconciliation of the whole store against a CSV statement that books every
    EXECUTED order once (written beforehand, not timed), as ``app.py reconcile
    --statement`` runs it."""
    entries = [
        ledger_entry(order)
        async for page in every_order(store)
        for order in page
        if order.status is OrderStatus.EXECUTED
    ]
    statement = write_csv(work / "statement.csv", entries)
    started, cpu = time.perf_counter(), time.process_time()
    report = await reconcile(every_order(store), statement_pages(statement), store, now=utcnow())
    seconds = time.perf_counter() - started
    assert not report.mismatches, report.mismatches[:3]
    return {
        "orders": report.orders,
        "bookings": report.bookings,
        "matched": report.matched,
        "seconds": seconds,
        "orders_per_second": report.orders / seconds,
        "bench_cpu_ms_per_order": 1000 * (time.process_time() - cpu) / report.orders,
    }


async def timed(session: aiohttp.ClientSession, url: str, requests: int) -> dict[str, float]:
    seconds = []
    for _ in range(requests):
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, url
        seconds.append(time.perf_counter() - started)
    ordered = sorted(seconds)
    return {
        "p50": 1000 * statistics.median(ordered),
        "p95": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
        "mean": 1000 * statistics.fmean(ordered),
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-queries-"))
    database = f"queries_{uuid.uuid4().hex[:8]}"
    async with mongo(work / "servers", args.backend) as uri:
        store = MongoOrderStore(uri, database)
        await store.start()
        figures: dict[str, Any] = {}
        reconciliations: dict[str, Any] = {}
        try:
            async with service_processes(work) as processes:
                env = {"MONGO_URI": uri, "MONGO_DATABASE": database, "LOG_LEVEL": "WARNING"}
                # No Kafka: embedded queues; no sweep: the seeded PENDING orders stay so.
                env |= {"KAFKA_BOOTSTRAP_SERVERS": "", "RECOVERY_PERIOD": "86400"}
                service = await processes.start("all", env)
                await service.ready()
                seeded = 0
                async with aiohttp.ClientSession() as session:
                    for size in sorted(args.sizes):
                        print(f"seeding to {size} orders …", file=sys.stderr)
                        await seed(store, size - seeded)
                        seeded = size
                        await folded(store, args.deadline)
                        figures[str(size)] = {
                            name: await timed(session, service.url + path, args.requests)
                            for name, path in QUERIES.items()
                        }
                        reconciliations[str(size)] = await reconciled(store, work)
        finally:
            await store.revisions.database.client.drop_database(database)
            await store.stop()
    return {
        "backend": args.backend,
        "requests": args.requests,
        "orders": figures,
        "reconciliation": reconciliations,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queries", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--requests", type=int, default=50, help="requests per query and size")
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--deadline", type=float, default=600)
    parser.add_argument("--out", type=Path, default=Path("bench-results/queries.json"))
    args = parser.parse_args(argv)
    result = event_loop.run(measure(args))
    write_json(result, args.out)
    for size, queries in result["orders"].items():
        for name, figures in queries.items():
            p50, p95 = figures["p50"], figures["p95"]
            print(f"{size:>7} orders  {name:48} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    for size, run in result["reconciliation"].items():
        rate, seconds = run["orders_per_second"], run["seconds"]
        print(f"{size:>7} orders  reconciled in {seconds:.1f} s: {rate:,.0f} orders/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
