"""Drives orders over HTTP and watches them reach EXECUTED on ``payment.executed``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import aiohttp
from aiokafka import AIOKafkaConsumer

from payments.messages import PaymentEvent, UnreadableMessage, read_message

ORDER = {
    "debtorAccount": "DE89370400440532013000",
    "creditorAccount": "GB82WEST12345698765432",
    "amount": "125.50",
    "currency": "EUR",
}


# The watcher's fetches wait for this many bytes of events, or at most this long.
FETCH_MIN_BYTES = 1 << 20
FETCH_MAX_WAIT_MS = 500


@dataclass
class Submission:
    order_id: str
    sent_at: float  # time.perf_counter() when the POST was sent
    post_seconds: float


@dataclass
class Run:
    label: str
    submissions: list[Submission] = field(default_factory=list)
    failures: int = 0
    started: float = 0.0
    accepted_by: float = 0.0  # when the last POST was answered


class Progress:
    """One line on stderr: ``label [#####.....] 120/400``."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0

    def step(self) -> None:
        self.done += 1
        if self.done % max(1, self.total // 50) == 0 or self.done == self.total:
            filled = 30 * self.done // self.total
            bar = "#" * filled + "." * (30 - filled)
            print(f"\r{self.label:>18} [{bar}] {self.done}/{self.total}", end="", file=sys.stderr)
            if self.done == self.total:
                print(file=sys.stderr)


async def _post(session: aiohttp.ClientSession, url: str, run: Run, progress: Progress) -> None:
    sent = time.perf_counter()
    try:
        async with session.post(url, json=ORDER) as response:
            body = await response.json()
            ok = response.status == 201
    except (aiohttp.ClientError, TimeoutError):
        ok, body = False, {}
    answered = time.perf_counter()
    if ok:
        run.submissions.append(Submission(body["id"], sent, answered - sent))
    else:
        run.failures += 1
    run.accepted_by = max(run.accepted_by, answered)
    progress.step()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a load level is timed, as ``timeit`` does: a
    full pass over the results held here takes about 100 ms, and would show as
    latency of the orders in flight. Collected before, and again after."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def closed_loop(base_url: str, orders: int, concurrency: int) -> Run:
    """``concurrency`` clients, each sending its next order when the last is answered."""
    run = Run(f"closed c={concurrency}")
    progress = Progress(run.label, orders)
    remaining = iter(range(orders))
    url = f"{base_url}/payment-orders"
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client() -> None:
            for _ in remaining:
                await _post(session, url, run, progress)

        run.started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
    return run


async def open_loop(base_url: str, orders: int, rate: float) -> Run:
    """Orders sent at a fixed rate, whether or not earlier ones were answered."""
    run = Run(f"open {rate:.0f}/s")
    progress = Progress(run.label, orders)
    url = f"{base_url}/payment-orders"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000)) as session:
        run.started = time.perf_counter()
        tasks = []
        for n in range(orders):
            delay = run.started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the open loop, not synchronising
            tasks.append(asyncio.create_task(_post(session, url, run, progress)))
        await asyncio.gather(*tasks)
    return run


class ExecutedWatcher:
    """Records when each order reached EXECUTED, on the clock the POSTs are timed on.

    The time is the one the processor persisted and its ``payment.executed`` event
    carries (``at``), not the event's arrival here: so the watcher can take the events
    in batches, a fetch every half second instead of one per event, and neither its
    own delivery delay shows as latency nor its fetches as load on the broker.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="latest",
            fetch_min_bytes=FETCH_MIN_BYTES,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        self.executed_at: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        # Wall-clock seconds minus this are time.perf_counter() seconds.
        self._perf_offset = time.time() - time.perf_counter()

    async def start(self) -> None:
        await self.consumer.start()
        await self.consumer.seek_to_end()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for record in self.consumer:
            try:
                event = read_message(PaymentEvent, record.value)
            except UnreadableMessage:
                continue  # its order shows as not executed, and fails the run
            self.executed_at.setdefault(event.order_id, event.at.timestamp() - self._perf_offset)
            self._arrived.set()

    async def wait_for(self, order_ids: list[str], deadline: float) -> list[str]:
        """The ids still missing after at most ``deadline`` seconds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while any(i not in self.executed_at for i in order_ids) and loop.time() < end:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.0, end - loop.time()))
            except TimeoutError:
                break
        return [i for i in order_ids if i not in self.executed_at]

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()
