"""What a benchmark run drives and measures (``System``): the stack of ``python -m
bench`` on Kafka and the store (``kafka_system``), with the raw limits measured beside
it (``Limits``) and the CPU each process uses (``CpuMeter``), or one ``python app.py
all`` on its embedded defaults (``embedded_system``); and how each verifies that every
order was paid once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench.limits import StoreLimit, kafka_rate
from bench.load import Completion, ExecutedWatcher, OrderReader
from config.event_loop import to_completion
from infra import Stack
from infra.ferretdb import FERRETDB_VERSION, FerretDB
from infra.postgres import Postgres
from infra.services import ServiceProcess, cpu_seconds, service_processes
from payments.domain.topics import TopicNames

# The servers that do a store burst's work; what else runs beside a burst only idles.
STORE_SERVERS = (FerretDB.name, Postgres.name)


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


def bank_env(args: argparse.Namespace) -> dict[str, str]:
    """The simulated bank's settings: answering at once, or as ``--bank-latency`` says
    (p50 p99 cap, in seconds: log-normal, capped), with ``--transient-rate`` of its
    answers a 503."""
    env = {"GATEWAY_LATENCY": "0", "GATEWAY_TRANSIENT_FAILURE_RATE": str(args.transient_rate)}
    if args.bank_latency:
        p50, p99, cap = args.bank_latency
        env |= {
            "GATEWAY_LATENCY": str(p50),
            "GATEWAY_LATENCY_P99": str(p99),
            "GATEWAY_LATENCY_CAP": str(cap),
        }
    return env


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
            **bank_env(args),
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
async def embedded_system(work: Path, bank: dict[str, str] | None = None) -> AsyncIterator[System]:
    """One ``python app.py all`` process on its embedded defaults, with its in-process
    bank (``bank``: its GATEWAY_* settings; answering at once by default). Empty Kafka and
    MongoDB settings (and bank URL) keep a setting this process inherited from leaking
    in; the store is a file of this run's own."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "",
        "MONGO_URI": "",
        "GATEWAY_URL": "",
        "STORE_PATH": str(work / "orders.sqlite3"),
        "GATEWAY_LATENCY": "0",
        **(bank or {}),
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
