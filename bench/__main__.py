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
import json
import os
import platform
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from bench import batches
from bench.load import (
    Run,
    closed_loop,
    collector_paused,
    open_loop,
)
from bench.report import Level, summarise, write_reports
from bench.systems import CpuMeter, System, bank_env, embedded_system, kafka_system
from config import event_loop
from infra.services import cpu_seconds

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
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
    rates = args.rates or [max(1.0, max(level.executed_per_s for level in levels) / 2)]
    for rate in rates:
        orders = round(rate * args.open_seconds) if args.open_seconds else args.open_orders
        await level(partial(open_loop, system.api, orders, rate))

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
        "bank": bank_env(args),
        "limits": system.limits.as_json() if system.limits else None,
        "levels": [level.as_json() for level in levels],
        "cpu_seconds_per_order": {name: s / total_orders for name, s in cpu.seconds.items()},
        "verification": verification,
    }


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-bench-"))
    system = embedded_system(work, bank_env(args)) if args.embedded else kafka_system(args, work)
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
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="*",
        default=[1, 16, 64, 256],
        help="closed-loop clients of each level (none: open loops only)",
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=None,
        help="open-loop orders/s, a level each (default: half the best closed level)",
    )
    parser.add_argument(
        "--open-seconds",
        type=float,
        default=None,
        help="seconds each open loop sends for (rate x seconds orders; else --open-orders)",
    )
    parser.add_argument(
        "--bank-latency",
        type=float,
        nargs=3,
        metavar=("P50", "P99", "CAP"),
        default=None,
        help="the simulated bank's answer time in seconds: log-normal, capped (default: at once)",
    )
    parser.add_argument(
        "--transient-rate",
        type=float,
        default=0.0,
        help="share of the simulated bank's answers that are 503s (retried)",
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
