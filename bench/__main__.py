"""``python -m bench``: how many payment orders per second this orchestrator carries on
this machine, how fast, and how close that is to what Kafka and the store allow.

Starts the real stack (Kafka and FerretDB from ``infra`` unless KAFKA_BOOTSTRAP_SERVERS
and MONGO_URI are set), the simulated bank with zero latency, one ingestion process
and ``--workers`` processor workers; measures the raw limits in the same run; drives
orders at several closed-loop concurrencies and one open-loop rate; verifies every
order is EXECUTED and paid exactly once, then writes JSON, Markdown and a PNG plot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench.limits import StoreLimit, kafka_rate
from bench.load import ExecutedWatcher, Run, closed_loop, collector_paused, open_loop
from bench.report import Level, summarise, write_reports
from config import event_loop
from infra import Stack
from infra.ferretdb import FerretDB
from infra.postgres import Postgres
from infra.services import cpu_seconds, service_processes
from payments.routes import TopicNames


@contextlib.asynccontextmanager
async def servers(state_dir: Path) -> AsyncIterator[tuple[dict[str, str], dict[str, int]]]:
    """The servers' settings, and the pid of each server this run started (none of
    servers given by KAFKA_BOOTSTRAP_SERVERS and MONGO_URI: their CPU is not counted)."""
    given = {k: os.environ[k] for k in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI") if k in os.environ}
    if len(given) == 2:
        yield given, {}
        return
    stack = Stack(state_dir)
    stack.up()
    try:
        pids = {server.name: server.pid() for server in stack.servers}
        yield stack.env(), {name: pid for name, pid in pids.items() if pid is not None}
    finally:
        stack.down()


# The servers that do a store burst's work; what else runs beside a burst only idles.
STORE_SERVERS = (FerretDB.name, Postgres.name)


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


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-bench-"))
    tenant = f"bench{uuid.uuid4().hex[:8]}"
    async with servers(work / "servers") as (env, pids):
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
                **{name: partial(cpu_seconds, pid, descendants=True) for name, pid in pids.items()},
            }
            cpu = CpuMeter({**meters, "bench (load, watcher)": partial(cpu_seconds, os.getpid())})
            # The services and Kafka idle beside the bursts: their share says how much
            # faster the store could have been with them stopped.
            beside = CpuMeter({k: v for k, v in meters.items() if k not in STORE_SERVERS})
            watcher = ExecutedWatcher(
                env["KAFKA_BOOTSTRAP_SERVERS"], TopicNames(f"{tenant}.").executed
            )
            await watcher.start()
            try:
                levels: list[Level] = []
                with cpu.counting():
                    await closed_loop(ingest.url, min(50, args.orders), 8)  # warm-up, not reported
                # Untimed first, so that no burst opens the store's connections; then a
                # reference, one order at a time, and a burst before each level and one after
                # the last: a level's ratio is to the mean of the two around it.
                await store_limit.rate(2 * args.store_concurrency, args.store_concurrency)
                one_at_a_time = await store_limit.rate(min(100, args.orders), 1)

                async def burst() -> float:
                    with beside.counting():
                        return await store_limit.rate(args.orders, args.store_concurrency)

                bursts = [await burst()]

                async def level(load: Callable[[], Awaitable[Run]]) -> None:
                    with collector_paused():
                        with cpu.counting():
                            run = await load()
                            ids = [submission.order_id for submission in run.submissions]
                            missing = await watcher.wait_for(ids, args.deadline)
                        bursts.append(await burst())
                    limit = (bursts[-2] + bursts[-1]) / 2
                    levels.append(summarise(run, watcher.executed_at, missing, limit))

                for concurrency in args.concurrency:
                    await level(partial(closed_loop, ingest.url, args.orders, concurrency))
                best = max(level.executed_per_s for level in levels)
                rate = args.rate or max(1.0, best / 2)
                await level(partial(open_loop, ingest.url, args.open_orders, rate))
            finally:
                await watcher.stop()
            async with aiohttp.ClientSession() as session, session.get(f"{bank.url}/ledger") as r:
                ledger = await r.json()

    submitted = [s.order_id for level in levels for s in level.run.submissions]
    paid = [entry["idempotencyKey"] for entry in ledger["entries"]]
    executed_all = all(not level.missing for level in levels)
    total_orders = len(submitted) + min(50, args.orders)
    verification = {
        "orders_submitted": len(submitted),
        "every_order_executed": executed_all,
        "ledger_entries": len(paid),
        "paid_exactly_once": sorted(set(paid)) == sorted(paid) and set(submitted) <= set(paid),
    }
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "workers": args.workers,
        "limits": {
            "kafka_messages_per_s": kafka_limit,
            "store_orders_per_s_one_at_a_time": one_at_a_time,
            "store_concurrency": args.store_concurrency,
            "store_burst_orders": args.orders,
            "store_bursts_per_s": bursts,
            "store_limit": statistics.fmean(bursts),
            "beside_bursts_cpu_share": beside.share(),
        },
        "levels": [level.as_json() for level in levels],
        "cpu_seconds_per_order": {name: s / total_orders for name, s in cpu.seconds.items()},
        "verification": verification,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders per closed loop")
    parser.add_argument(
        "--open-orders",
        type=int,
        default=900,
        help="orders of the open loop, whose p99 is its slowest 1%% (9 orders by default)",
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument(
        "--rate", type=float, default=None, help="open-loop orders/s (default: half the best)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=300, help="seconds to wait for EXECUTED")
    parser.add_argument("--limit-messages", type=int, default=5000)
    parser.add_argument("--store-concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args(argv)
    result = event_loop.run(benchmark(args))
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
