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
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench.limits import kafka_rate, store_rate
from bench.load import ExecutedWatcher, Run, closed_loop, collector_paused, open_loop
from bench.report import Level, summarise, write_reports
from config import event_loop
from infra import Stack
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


async def _measure(run: Run, watcher: ExecutedWatcher, deadline: float) -> Level:
    ids = [submission.order_id for submission in run.submissions]
    missing = await watcher.wait_for(ids, deadline)
    return summarise(run, watcher.executed_at, missing)


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-bench-"))
    tenant = f"bench{uuid.uuid4().hex[:8]}"
    async with servers(work / "servers") as (env, pids):
        print("measuring raw limits …", file=sys.stderr)
        kafka_limit = await kafka_rate(env["KAFKA_BOOTSTRAP_SERVERS"], args.limit_messages, 6)
        # The store's rate falls as its collections grow, so the limit writes as many
        # orders into one database as the run does (one at a time, only the first
        # hundred: that figure is a reference).
        limit_orders = args.limit_orders or min(50, args.orders) + args.orders * (
            len(args.concurrency) + 1
        )
        store_limits = {
            c: await store_rate(env["MONGO_URI"], n, c)
            for c, n in ((1, min(100, limit_orders)), (args.store_concurrency, limit_orders))
        }
        service_env = {
            **env,
            "MONGO_DATABASE": tenant,
            "KAFKA_TOPIC_PREFIX": f"{tenant}.",
            "GATEWAY_LATENCY": "0",
            "LOG_LEVEL": "WARNING",
        }
        async with service_processes(work) as processes:
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
                **{f"process-{n}": worker.cpu_seconds for n, worker in enumerate(workers, 1)},
                "gateway": bank.cpu_seconds,
                **{name: partial(cpu_seconds, pid, descendants=True) for name, pid in pids.items()},
                "bench (load, watcher)": partial(cpu_seconds, os.getpid()),
            }
            cpu_before = {name: meter() for name, meter in meters.items()}

            watcher = ExecutedWatcher(
                env["KAFKA_BOOTSTRAP_SERVERS"], TopicNames(f"{tenant}.").executed
            )
            await watcher.start()
            levels: list[Level] = []
            try:
                await closed_loop(ingest.url, min(50, args.orders), 8)  # warm-up, not reported
                for concurrency in args.concurrency:
                    with collector_paused():
                        run = await closed_loop(ingest.url, args.orders, concurrency)
                        levels.append(await _measure(run, watcher, args.deadline))
                best = max(level.executed_per_s for level in levels)
                rate = args.rate or max(1.0, best / 2)
                with collector_paused():
                    run = await open_loop(ingest.url, args.orders, rate)
                    levels.append(await _measure(run, watcher, args.deadline))
            finally:
                await watcher.stop()
            cpu = {name: meter() - cpu_before[name] for name, meter in meters.items()}
            async with aiohttp.ClientSession() as session, session.get(f"{bank.url}/ledger") as r:
                ledger = await r.json()
        # The machine's speed drifts within a run: the concurrent limit once more, with
        # the services stopped, and the ratio taken to the mean of the two.
        limit_after = await store_rate(env["MONGO_URI"], limit_orders, args.store_concurrency)

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
            "store_orders_per_s": {str(c): rate for c, rate in store_limits.items()},
            "store_orders_per_s_after": {str(args.store_concurrency): limit_after},
            "store_limit": (store_limits[args.store_concurrency] + limit_after) / 2,
            "store_limit_orders": limit_orders,
        },
        "levels": [level.as_json() for level in levels],
        "cpu_seconds_per_order": {name: seconds / total_orders for name, seconds in cpu.items()},
        "verification": verification,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--orders", type=int, default=300, help="orders per load level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument(
        "--rate", type=float, default=None, help="open-loop orders/s (default: half the best)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=300, help="seconds to wait for EXECUTED")
    parser.add_argument("--limit-messages", type=int, default=5000)
    parser.add_argument(
        "--limit-orders",
        type=int,
        default=None,
        help="orders of the store limit (default: as many as the run writes)",
    )
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
