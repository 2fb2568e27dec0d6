"""``python -m bench``: how many payment orders per second this orchestrator carries on
this machine, how fast, and how close that is to what Kafka and the store allow.

Starts the real stack (Kafka, and FerretDB on PostgreSQL unless ``--backend sqlite``,
from ``infra``, unless KAFKA_BOOTSTRAP_SERVERS and MONGO_URI are set), the simulated
bank with zero latency, one ingestion process and ``--workers`` processor workers;
measures the raw limits in the same run; drives orders at several closed-loop
concurrencies and one open-loop rate; verifies every order is EXECUTED and paid exactly
once, then writes JSON, Markdown and a PNG plot. ``--embedded`` drives one
``python app.py all`` process on its embedded defaults instead. SIGTERM or SIGINT stops
every process the run started and exits with 128 + the signal's number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bench import batches
from bench.limits import StoreLimit, kafka_rate
from bench.load import (
    Completion,
    ExecutedWatcher,
    OrderReader,
    Run,
    closed_loop,
    collector_paused,
    open_loop,
)
from bench.report import Level, summarise, write_reports
from config import event_loop
from config.event_loop import to_completion
from infra import Stack
from infra.ferretdb import FERRETDB_VERSION, FerretDB
from infra.postgres import Postgres
from infra.services import ServiceProcess, cpu_seconds, service_processes
from payments.domain.topics import TopicNames

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# The servers that do a store burst's work; what else runs beside a burst only idles.
STORE_SERVERS = (FerretDB.name, Postgres.name)
# Orders sent before the levels, neither reported nor verified: connections, caches.
WARM_UP_ORDERS = 50


class Stopped(Exception):
    """A stop signal ended the run; everything it started has been stopped."""

    def __init__(self, received: signal.Signals) -> None:
        super().__init__(f"stopped by {received.name}")
        self.signal = received


async def until_signalled(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` until SIGTERM or SIGINT cancels it, so that every ``finally`` and
    async context manager in it runs and stops what it started; then raise ``Stopped``.
    Only the first signal cancels: a second must not cut those cleanups short."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main)
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        if not received:
            received.append(sig)
            task.cancel()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig)
    try:
        result = await task
    except asyncio.CancelledError:
        if not received:
            raise
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    if received:
        raise Stopped(received[0])
    return result


@dataclass
class Servers:
    env: dict[str, str]  # their settings: KAFKA_BOOTSTRAP_SERVERS, MONGO_URI
    # The pid of each server this run started; none of given servers, whose CPU is
    # not counted.
    pids: dict[str, int]
    setup: dict[str, str]  # what they are, for the report


@contextlib.asynccontextmanager
async def servers(state_dir: Path, backend: str) -> AsyncIterator[Servers]:
    """Those KAFKA_BOOTSTRAP_SERVERS and MONGO_URI name, or Kafka and FerretDB started in
    ``state_dir``. Each start runs in a thread, so that a signal is heard meanwhile: it
    stops the run once that server's start is over, which takes seconds."""
    given = {k: v for k in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI") if (v := os.environ.get(k))}
    if len(given) == 2:
        yield Servers(
            given,
            {},
            {
                "servers": "given",
                "kafka": "given by KAFKA_BOOTSTRAP_SERVERS, not started",
                "store": "given by MONGO_URI, not started",
            },
        )
        return
    stack = Stack(state_dir, backend=backend)
    try:
        for server in stack.servers:
            print(f"starting {server.version()} …", file=sys.stderr)
            await to_completion(asyncio.to_thread(server.start))
        pids = {server.name: server.pid() for server in stack.servers}
        store = stack.postgres.version() if stack.postgres else "SQLite"
        yield Servers(
            stack.env(),
            {name: pid for name, pid in pids.items() if pid is not None},
            {
                "servers": "started",
                "kafka": stack.kafka.version(),
                "store": f"FerretDB {FERRETDB_VERSION} on {store}",
            },
        )
    finally:
        await to_completion(asyncio.to_thread(stack.down))


class CpuMeter:
    """CPU seconds each process used inside ``counting()`` blocks, summed, and the
    wall-clock seconds of those blocks: the load levels' CPU is counted apart from the
    store limit's bursts between them."""

    def __init__(self, meters: dict[str, Callable[[], float]]) -> None:
        self.meters = meters
        self.seconds = dict.fromkeys(meters, 0.0)
        self.wall = 0.0

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        before = {name: meter() for name, meter in self.meters.items()}
        started = time.perf_counter()
        yield
        self.wall += time.perf_counter() - started
        for name, meter in self.meters.items():
            self.seconds[name] += meter() - before[name]

    def share(self) -> float:
        """The share of the machine's CPU the processes used in those blocks."""
        return sum(self.seconds.values()) / max(1e-9, self.wall * (os.cpu_count() or 1))


class Limits:
    """What Kafka and the store allow, in the same run: the store in bursts around the
    load levels, so that each level is compared with the store at that moment. The
    services and Kafka idle beside the bursts: their share of the CPU then says how
    much faster the store could have been with them stopped."""

    def __init__(
        self,
        kafka_per_s: float,
        store: StoreLimit,
        burst_orders: int,
        concurrency: int,
        beside: CpuMeter,
    ) -> None:
        self.kafka_per_s = kafka_per_s
        self.store = store
        self.burst_orders = burst_orders
        self.concurrency = concurrency
        self.beside = beside
        self.one_at_a_time = 0.0
        self.bursts: list[float] = []

    async def _burst(self) -> None:
        with self.beside.counting():
            self.bursts.append(await self.store.rate(self.burst_orders, self.concurrency))

    async def before_levels(self) -> None:
        """Untimed first, so that no burst opens the store's connections; then a
        reference, one order at a time, and the burst before the first level."""
        await self.store.rate(2 * self.concurrency, self.concurrency)
        self.one_at_a_time = await self.store.rate(min(100, self.burst_orders), 1)
        await self._burst()

    async def after_level(self) -> float:
        """The store's rate around the level just run: the mean of the bursts before
        and after it."""
        await self._burst()
        return (self.bursts[-2] + self.bursts[-1]) / 2

    def as_json(self) -> dict[str, Any]:
        return {
            "kafka_messages_per_s": self.kafka_per_s,
            "store_orders_per_s_one_at_a_time": self.one_at_a_time,
            "store_concurrency": self.concurrency,
            "store_burst_orders": self.burst_orders,
            "store_bursts_per_s": self.bursts,
            "store_limit": statistics.fmean(self.bursts),
            "beside_bursts_cpu_share": self.beside.share(),
        }


@dataclass
class System:
    """What a run drives and measures: the API it posts to, the orchestrator's services
    (whose batch sizes it scrapes), a CPU meter per process, how it learns that orders
    were EXECUTED, the raw limits (Kafka mode only) and how it verifies the payments."""

    setup: dict[str, Any]  # what ran, for the report
    api: str
    services: list[ServiceProcess]
    meters: dict[str, Callable[[], float]]
    completion: Completion
    limits: Limits | None
    verify: Callable[[list[str]], Awaitable[dict[str, Any]]]


@contextlib.asynccontextmanager
async def kafka_system(args: argparse.Namespace, work: Path) -> AsyncIterator[System]:
    """Kafka and the store, the bank, one ingestion process and ``--workers`` workers."""
    tenant = f"bench{uuid.uuid4().hex[:8]}"
    async with servers(work / "servers", args.backend) as started:
        env = started.env
        print("measuring raw limits …", file=sys.stderr)
        kafka_limit = await kafka_rate(env["KAFKA_BOOTSTRAP_SERVERS"], args.limit_messages, 6)
        service_env = {
            **env,
            "MONGO_DATABASE": tenant,
            "KAFKA_TOPIC_PREFIX": f"{tenant}.",
            "GATEWAY_LATENCY": "0",
            "LOG_LEVEL": "WARNING",
        }
        async with (
            service_processes(work) as processes,
            StoreLimit(env["MONGO_URI"]) as store_limit,
        ):
            bank = await processes.start("gateway", service_env)
            await bank.ready("/health")
            ingest = await processes.start("ingest", {**service_env, "GATEWAY_URL": bank.url})
            await ingest.ready()
            workers = [
                await processes.start("process", {**service_env, "GATEWAY_URL": bank.url})
                for _ in range(args.workers)
            ]
            for worker in workers:
                await worker.ready(deadline=90)
            meters: dict[str, Callable[[], float]] = {
                "ingest": ingest.cpu_seconds,
                **{f"process-{n}": w.cpu_seconds for n, w in enumerate(workers, 1)},
                "gateway": bank.cpu_seconds,
                **{
                    name: partial(cpu_seconds, pid, descendants=True)
                    for name, pid in started.pids.items()
                },
            }
            beside = CpuMeter({k: v for k, v in meters.items() if k not in STORE_SERVERS})
            limits = Limits(kafka_limit, store_limit, args.orders, args.store_concurrency, beside)
            watcher = ExecutedWatcher(
                env["KAFKA_BOOTSTRAP_SERVERS"], TopicNames(f"{tenant}.").executed
            )
            await watcher.start()
            try:
                yield System(
                    setup={"mode": "kafka", "workers": args.workers, **started.setup},
                    api=ingest.url,
                    services=[ingest, *workers],
                    meters=meters,
                    completion=watcher,
                    limits=limits,
                    verify=partial(verify_ledger, bank.url),
                )
            finally:
                await to_completion(watcher.stop())


async def verify_ledger(bank_url: str, submitted: list[str]) -> dict[str, Any]:
    """Every order paid, once: the bank's ledger has one entry per idempotency key."""
    async with aiohttp.ClientSession() as session, session.get(f"{bank_url}/ledger") as r:
        ledger = await r.json()
    paid = [entry["idempotencyKey"] for entry in ledger["entries"]]
    return {
        "ledger_entries": len(paid),
        "paid_exactly_once": sorted(set(paid)) == sorted(paid) and set(submitted) <= set(paid),
    }


@contextlib.asynccontextmanager
async def embedded_system(work: Path) -> AsyncIterator[System]:
    """One ``python app.py all`` process on its embedded defaults. Empty Kafka and
    MongoDB settings (and bank URL) keep a setting this process inherited from leaking
    in; the store is a file of this run's own."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "MONGO_URI": "",
        "GATEWAY_URL": "",
        "STORE_PATH": str(work / "orders.sqlite3"),
        "GATEWAY_LATENCY": "0",
        "LOG_LEVEL": "WARNING",
    }
    async with service_processes(work) as processes:
        service = await processes.start("all", env)
        await service.ready()
        reader = OrderReader(service.url)
        yield System(
            setup={"mode": "embedded", "servers": "none", "store": "SQLite (the embedded store)"},
            api=service.url,
            services=[service],
            meters={"all": service.cpu_seconds},
            completion=reader,
            limits=None,
            verify=partial(verify_references, reader),
        )


async def verify_references(reader: OrderReader, submitted: list[str]) -> dict[str, Any]:
    """The in-process bank's ledger is not served by ``app.py all``: every order carries
    the bank's reference of its payment instead, and no two orders share one."""
    references = [reader.gateway_references.get(order_id) for order_id in submitted]
    distinct = {reference for reference in references if reference}
    return {
        "gateway_references": len(distinct),
        "paid_exactly_once": len(distinct) == len(submitted),
    }


async def drive(args: argparse.Namespace, system: System) -> dict[str, Any]:
    """The warm-up, the closed-loop levels and the open-loop one, each timed and
    metered on its own; then the verification of every order."""
    completion, urls = system.completion, [service.url for service in system.services]
    cpu = CpuMeter({**system.meters, "bench (load, watcher)": partial(cpu_seconds, os.getpid())})
    with cpu.counting():
        warm_up = await closed_loop(system.api, min(WARM_UP_ORDERS, args.orders), 8)
        await completion.wait_for([s.order_id for s in warm_up.submissions], args.deadline)
    if system.limits:
        await system.limits.before_levels()
    levels: list[Level] = []
    sizes = await batches.scrape(urls)

    async def level(load: Callable[[], Awaitable[Run]]) -> None:
        nonlocal sizes
        alone = CpuMeter(cpu.meters)
        with collector_paused():
            with cpu.counting(), alone.counting():
                run = await load()
                ids = [submission.order_id for submission in run.submissions]
                await completion.wait_for(ids, args.deadline)
            limit = await system.limits.after_level() if system.limits else None
        before, sizes = sizes, await batches.scrape(urls)
        await completion.collect(ids)
        missing = [order_id for order_id in ids if order_id not in completion.executed_at]
        summary = summarise(
            run, completion.executed_at, missing, limit, batches.between(before, sizes)
        )
        orders = max(1, len(run.submissions))
        summary.cpu_seconds_per_order = {n: s / orders for n, s in alone.seconds.items()}
        levels.append(summary)

    for concurrency in args.concurrency:
        orders = args.single_orders if concurrency == 1 else args.orders
        await level(partial(closed_loop, system.api, orders, concurrency))
    rate = args.rate or max(1.0, max(level.executed_per_s for level in levels) / 2)
    await level(partial(open_loop, system.api, args.open_orders, rate))

    submitted = [s.order_id for level in levels for s in level.run.submissions]
    verification = {
        "orders_submitted": len(submitted),
        "every_order_executed": all(not level.missing for level in levels),
        **await system.verify(submitted),
    }
    total_orders = len(submitted) + len(warm_up.submissions)
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "setup": system.setup,
        "limits": system.limits.as_json() if system.limits else None,
        "levels": [level.as_json() for level in levels],
        "cpu_seconds_per_order": {name: s / total_orders for name, s in cpu.seconds.items()},
        "verification": verification,
    }


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-bench-"))
    system = embedded_system(work) if args.embedded else kafka_system(args, work)
    async with system as running:
        return await drive(args, running)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders per closed loop")
    parser.add_argument(
        "--single-orders",
        type=int,
        default=100,
        help="orders of the c=1 closed loop, one at a time: a single order's latency",
    )
    parser.add_argument(
        "--open-orders",
        type=int,
        default=900,
        help="orders of the open loop, whose p99 is its slowest 1%% (9 orders by default)",
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument(
        "--rate", type=float, default=None, help="open-loop orders/s (default: half the best)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="FerretDB's backend, when the run starts its own servers",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="one `python app.py all` process on its embedded defaults: no Kafka, no MongoDB",
    )
    parser.add_argument("--deadline", type=float, default=300, help="seconds to wait for EXECUTED")
    parser.add_argument("--limit-messages", type=int, default=5000)
    parser.add_argument("--store-concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    try:
        result = event_loop.run(until_signalled(benchmark(args)))
    except Stopped as stopped:
        print(f"bench: {stopped}; every process it started is stopped", file=sys.stderr)
        return 128 + stopped.signal
    write_reports(result, args.out)
    print((args.out / "results.md").read_text())
    if not (
        result["verification"]["every_order_executed"]
        and result["verification"]["paid_exactly_once"]
    ):
        print("bench: FAILED verification: " + json.dumps(result["verification"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
