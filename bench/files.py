"""``python -m bench.files``: one pain.001 of 10,000 credit transfers (by default) sent
to ``POST /payment-files``, and what it costs: seconds until the file is accepted
(checked whole and registered; the split follows), transfers/s until every order is
EXECUTED, the resident memory of the ingestion process meanwhile (and while the file is
read back), and how long the file's summary (twice: the first read keeps the outcomes
of the orders that ended) and its pain.002 take once every order ended.

Kafka and FerretDB on PostgreSQL (started here unless KAFKA_BOOTSTRAP_SERVERS and
MONGO_URI are set), one ingestion process, ``--workers`` processor workers and the
simulated bank (answering at once) each in a process of its own, as ``python -m bench``
runs them. The file is written by ``sepaxml`` before the clock starts. The orders'
``payment.executed`` events tell when each was paid; at the end the file's summary must
count every transfer EXECUTED and the bank's ledger must hold each order once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bench.load import ExecutedWatcher
from bench.pain001 import sepa_file
from bench.release import resident_mib
from bench.report import write_json
from bench.systems import servers, verify_ledger
from config import event_loop
from endpoints.exchange import utcnow
from infra.services import ServiceProcess, service_processes
from payments.domain.topics import TopicNames

SAMPLE_EVERY = 0.25  # seconds between two samples of the ingestion's memory


async def sample_memory(service: ServiceProcess, samples: list[float]) -> None:
    """The process's resident memory, every SAMPLE_EVERY seconds until cancelled."""
    while True:
        samples.append(resident_mib(service.process.pid))
        await asyncio.sleep(SAMPLE_EVERY)


async def timed_json(session: aiohttp.ClientSession, url: str) -> tuple[Any, float]:
    started = time.perf_counter()
    async with session.get(url) as answer:
        return await answer.json(), time.perf_counter() - started


async def send(
    args: argparse.Namespace, ingest: ServiceProcess, watcher: ExecutedWatcher, path: Path
) -> dict[str, Any]:
    """Post the file; wait until its transfers are EXECUTED; the figures."""
    samples: list[float] = []
    size = await asyncio.to_thread(lambda: path.stat().st_size)
    sampler = asyncio.create_task(sample_memory(ingest, samples))
    timeout = aiohttp.ClientTimeout(total=args.deadline)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            started = time.perf_counter()
            async with session.post(
                f"{ingest.url}/payment-files",
                data=path.open("rb"),
                headers={"Content-Type": "application/xml"},
            ) as response:
                received = await response.json()
                if response.status != 202:
                    raise RuntimeError(f"the file was refused: {response.status} {received}")
            accepted = time.perf_counter() - started
            await watcher.wait_for_count(args.transfers, args.deadline)
            if len(watcher.executed_at) < args.transfers:
                raise TimeoutError(
                    f"{len(watcher.executed_at)} of {args.transfers} orders EXECUTED "
                    f"in {args.deadline} s"
                )
            executed = max(watcher.executed_at.values()) - started
            during_flow = len(samples)
            file_url = f"{ingest.url}/payment-files/{received['id']}"
            # The first read finds every order ended and keeps their outcomes; the
            # next ones read the outcomes alone.
            summary, summary_seconds = await timed_json(session, file_url)
            _, summary_again_seconds = await timed_json(session, file_url)
            reading = time.perf_counter()
            async with session.get(f"{file_url}/status-report") as answer:
                report_bytes = len(await answer.read())
            report_seconds = time.perf_counter() - reading
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    return {
        "transfers": args.transfers,
        "file_bytes": size,
        "seconds_to_accept": accepted,
        "accepted_per_second": args.transfers / accepted,
        "seconds_to_executed": executed,
        "executed_per_second": args.transfers / executed,
        "ingest_resident_mib_before": samples[0],
        "ingest_resident_mib_peak": max(samples[:during_flow]),
        "ingest_resident_mib_peak_reading": max(samples),
        "summary_seconds": summary_seconds,
        "summary_again_seconds": summary_again_seconds,
        "status_report_seconds": report_seconds,
        "status_report_bytes": report_bytes,
        "transactions_by_status": summary["transactionsByStatus"],
        "order_ids": [t["orderId"] for t in summary["transactions"]],
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="payorch-files-"))
    yesterday = (utcnow() - timedelta(days=1)).date()  # paid at once
    print(f"writing a {args.message} of {args.transfers} transfers …", file=sys.stderr)
    path = sepa_file(work, args.message, args.transfers, day=yesterday)
    tenant = f"files{uuid.uuid4().hex[:8]}"
    async with servers(work / "servers", "postgresql") as started:
        env = {
            **started.env,
            "MONGO_DATABASE": tenant,
            "KAFKA_TOPIC_PREFIX": f"{tenant}.",
            "GATEWAY_LATENCY": "0",
            "LOG_LEVEL": "WARNING",
            "PAYMENT_FILES_DIR": str(work / "payment-files"),
        }
        async with service_processes(work) as processes:
            bank = await processes.start("gateway", env)
            await bank.ready("/health")
            ingest = await processes.start("ingest", {**env, "GATEWAY_URL": bank.url})
            await ingest.ready()
            for _ in range(args.workers):
                worker = await processes.start("process", {**env, "GATEWAY_URL": bank.url})
                await worker.ready(deadline=90)
            watcher = ExecutedWatcher(
                env["KAFKA_BOOTSTRAP_SERVERS"], TopicNames(f"{tenant}.").executed
            )
            await watcher.start()
            try:
                print("sending the file …", file=sys.stderr)
                figures = await send(args, ingest, watcher, path)
            finally:
                await watcher.stop()
            paid = await verify_ledger(bank.url, figures.pop("order_ids"))
    return {
        "setup": {"message": args.message, "workers": args.workers, **started.setup},
        **figures,
        **paid,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.files", description=__doc__)
    parser.add_argument("--transfers", type=int, default=10_000)
    parser.add_argument(
        "--message", choices=["pain.001.001.03", "pain.001.001.09"], default="pain.001.001.09"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deadline", type=float, default=900, help="seconds")
    parser.add_argument("--out", type=Path, default=Path("bench-results/files.json"))
    args = parser.parse_args(argv)
    result = event_loop.run(measure(args))
    write_json(result, args.out)
    print(
        f"{result['transfers']} transfers ({result['file_bytes'] / 2**20:.1f} MiB): accepted in "
        f"{result['seconds_to_accept']:.1f} s ({result['accepted_per_second']:.0f}/s), all "
        f"EXECUTED in {result['seconds_to_executed']:.1f} s "
        f"({result['executed_per_second']:.0f}/s); ingestion memory "
        f"{result['ingest_resident_mib_before']:.0f} → peak "
        f"{result['ingest_resident_mib_peak']:.0f} MiB "
        f"({result['ingest_resident_mib_peak_reading']:.0f} reading); summary in "
        f"{result['summary_seconds']:.1f} s, then "
        f"{result['summary_again_seconds']:.1f} s; pain.002 in "
        f"{result['status_report_seconds']:.1f} s; "
        f"paid once: {result['paid_exactly_once']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
