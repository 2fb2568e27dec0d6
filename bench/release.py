"""``python -m bench.release``: a day on which many scheduled orders come due at once —
10,000 and 100,000 by default — and how the release carries them: seconds until all are
EXECUTED, orders/s, and the service's memory while it releases them.

For each size, a store of its own is seeded through the store's own calls (not through
the API: the figure is about the release) with that many orders SCHEDULED for the day
before, as the ingestion service leaves them; then one ``python app.py all`` starts on
that store, with the simulated bank (answering at once) in a process of its own, and
releases them as it would on a morning after a closing day. Its resident memory is
sampled meanwhile: bounded, the peak does not grow with the orders due. At the end
every order must be EXECUTED and paid once (the bank's ledger).

``--store sqlite`` (the default: the embedded store, a file of each size's own) or
``mongo`` (FerretDB on PostgreSQL from ``infra`` unless MONGO_URI is set).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.limits import new_order
from bench.queries import mongo
from bench.report import write_json
from bench.systems import verify_ledger
from config import event_loop
from endpoints.exchange import utcnow
from infra.services import ServiceProcess, service_processes
from payments.domain.calendar import ExecutionRules
from payments.domain.model import OrderStatus
from payments.domain.store import Move, OrderRef, OrderStore, StoreUnavailable
from payments.lifecycle.ingestion import changes_for
from payments.stores import MongoOrderStore, SqliteOrderStore

SEED_BATCH = 500
PAGE = 4096  # bytes of a memory page, as /proc/<pid>/statm counts them


async def seed(store: OrderStore, count: int, day: date) -> list[str]:
    """``count`` orders SCHEDULED for ``day``, with the calls the ingestion service made
    for them the day before: created, noted due, moved to SCHEDULED, settled; their
    ids."""
    placed, ids = day - timedelta(days=1), []
    for start in range(0, count, SEED_BATCH):
        size = min(count - start, SEED_BATCH)
        orders = [
            new_order().model_copy(update={"requested_execution_date": day, "execution_date": day})
            for _ in range(size)
        ]
        await store.create_all(orders)
        await store.schedule(dict.fromkeys((order.id for order in orders), day))
        now = utcnow()
        await store.move_all(
            [Move(OrderRef.of(order), changes_for(order, placed), now) for order in orders]
        )
        await store.settle([order.id for order in orders])
        ids += [order.id for order in orders]
    return ids


def resident_mib(pid: int) -> float:
    """The process's resident memory now (Linux /proc)."""
    fields = Path(f"/proc/{pid}/statm").read_text().split()
    return int(fields[1]) * PAGE / 2**20


async def released(
    store: OrderStore, service: ServiceProcess, count: int, deadline: float
) -> dict[str, Any]:
    """Sample the service's memory until the store counts ``count`` EXECUTED orders. A
    store too busy to answer the count in time is asked again (and counted)."""
    pid = service.process.pid
    started = time.perf_counter()
    samples, unanswered = [resident_mib(pid)], 0
    end = started + deadline
    while True:
        try:
            if (await store.count_by_status()).get(OrderStatus.EXECUTED, 0) >= count:
                break
        except StoreUnavailable:
            unanswered += 1
        if time.perf_counter() > end:
            raise TimeoutError(f"not all {count} orders were EXECUTED in {deadline} s")
        await asyncio.sleep(0.5)  # sampling memory meanwhile, until the deadline
        samples.append(resident_mib(pid))
    seconds = time.perf_counter() - started
    return {
        "orders": count,
        "seconds": seconds,
        "orders_per_second": count / seconds,
        "resident_mib_at_ready": samples[0],
        "resident_mib_peak": max(samples),
        "resident_mib_at_end": samples[-1],
        "counts_unanswered": unanswered,
    }


@contextlib.asynccontextmanager
async def a_store(
    mongo_uri: str | None, work: Path
) -> AsyncIterator[tuple[OrderStore, dict[str, str]]]:
    """A store of the size's own (a MongoDB database at ``mongo_uri``, else a SQLite
    file), and the settings that give the service the same."""
    if mongo_uri is None:
        path = work / f"orders-{uuid.uuid4().hex[:8]}.sqlite3"
        store: OrderStore = SqliteOrderStore(path)
        env = {"MONGO_URI": "", "STORE_PATH": str(path)}
    else:
        database = f"release_{uuid.uuid4().hex[:8]}"
        store = MongoOrderStore(mongo_uri, database)
        env = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": database}
    await store.start()
    try:
        yield store, env
    finally:
        if isinstance(store, MongoOrderStore):
            await store.revisions.database.client.drop_database(store.revisions.database.name)
        await store.stop()


async def one_size(
    args: argparse.Namespace, mongo_uri: str | None, work: Path, count: int
) -> dict[str, Any]:
    async with a_store(mongo_uri, work) as (store, env):
        print(f"seeding {count} scheduled orders …", file=sys.stderr)
        seeding = time.perf_counter()
        ids = await seed(store, count, ExecutionRules().today(utcnow()) - timedelta(days=1))
        seeded_in = time.perf_counter() - seeding
        env |= {
            "KAFKA_BOOTSTRAP_SERVERS": "",  # in-process queues: the release is the figure
            "GATEWAY_LATENCY": "0",
            "LOG_LEVEL": "WARNING",
        }
        async with service_processes(work) as processes:
            # The bank in a process of its own, so that its ledger, which keeps every
            # payment, is not counted in the service's memory.
            bank = await processes.start("gateway", env)
            await bank.ready("/health")
            service = await processes.start("all", {**env, "GATEWAY_URL": bank.url})
            await service.ready()
            print(f"releasing {count} orders …", file=sys.stderr)
            figures = await released(store, service, count, args.deadline)
            paid = await verify_ledger(bank.url, ids)
        return {**figures, "seeded_in_seconds": seeded_in, **paid}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-release-"))
    sizes: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        uri = None
        if args.store == "mongo":
            uri = await stack.enter_async_context(mongo(work / "servers", "postgresql"))
        for count in args.sizes:
            sizes[str(count)] = await one_size(args, uri, work, count)
    return {"store": args.store, "sizes": sizes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.release", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--store", choices=["sqlite", "mongo"], default="sqlite")
    parser.add_argument("--deadline", type=float, default=1800, help="seconds per size")
    parser.add_argument("--out", type=Path, default=Path("bench-results/release.json"))
    args = parser.parse_args(argv)
    result = event_loop.run(measure(args))
    write_json(result, args.out)
    for size, run in result["sizes"].items():
        print(
            f"{size:>7} due  {run['seconds']:7.1f} s  {run['orders_per_second']:7.0f} orders/s"
            f"  memory {run['resident_mib_at_ready']:.0f} → peak {run['resident_mib_peak']:.0f}"
            f" MiB  paid once: {run['paid_exactly_once']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
