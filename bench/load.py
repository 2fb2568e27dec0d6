"""Drives orders over HTTP and learns when each reached EXECUTED: from
``payment.executed`` on Kafka, from the order itself on the embedded default."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import aiohttp
from aiokafka import AIOKafkaConsumer

from payments.domain.messages import PaymentEvent, UnreadableMessage, read_message
from payments.domain.model import OrderStatus, PaymentOrder

ORDER = {
    "debtorAccount": "DE89370400440532013000",
    "creditorAccount": "GB82WEST12345698765432",
    "amount": "125.50",
    "currency": "EUR",
}


# The watcher's fetches wait for this many bytes of events, or at most this long.
FETCH_MIN_BYTES = 1 << 20
FETCH_MAX_WAIT_MS = 500
# The embedded reader asks for the execution route's figures this often, and reads
# this many orders at once once a level is over.
ROUTE_POLL_SECONDS = 0.05
ORDER_READERS = 16


@dataclass
class Submission:
    order_id: str
    # time.perf_counter() when the POST was due: when it was sent in a closed loop, its
    # planned time in an open one (a late send counts as latency: no coordinated omission)
    sent_at: float
    post_seconds: float


@dataclass
class Run:
    label: str
    submissions: list[Submission] = field(default_factory=list)
    failures: int = 0
    started: float = 0.0
    accepted_by: float = 0.0  # when the last POST was answered


class Progress:
    """One line on stderr: ``label [#####.....] 120/400``; ended on the way out even when
    the load was interrupted, so that what is written next has a line of its own."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self._line_open = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        if self._line_open:
            print(file=sys.stderr)

    def step(self) -> None:
        self.done += 1
        if self.done % max(1, self.total // 50) == 0 or self.done == self.total:
            filled = 30 * self.done // self.total
            bar = "#" * filled + "." * (30 - filled)
            print(f"\r{self.label:>18} [{bar}] {self.done}/{self.total}", end="", file=sys.stderr)
            self._line_open = self.done < self.total
            if not self._line_open:
                print(file=sys.stderr)


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    run: Run,
    progress: Progress,
    planned: float | None = None,
) -> None:
    sent = time.perf_counter() if planned is None else planned
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
    remaining = iter(range(orders))
    url = f"{base_url}/payment-orders"
    connector = aiohttp.TCPConnector(limit=concurrency)
    with Progress(run.label, orders) as progress:
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
    url = f"{base_url}/payment-orders"
    connector = aiohttp.TCPConnector(limit=1000)
    with Progress(run.label, orders) as progress:
        async with aiohttp.ClientSession(connector=connector) as session:
            run.started = time.perf_counter()
            tasks = []
            try:
                for n in range(orders):
                    planned = run.started + n / rate
                    delay = planned - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)  # pacing the open loop, not synchronising
                    post = _post(session, url, run, progress, planned)
                    tasks.append(asyncio.create_task(post))
                await asyncio.gather(*tasks)
            finally:  # cancelled (a signal): no POST may outlive its session
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
    return run


class PerfClock:
    """A service's wall-clock times on the clock the POSTs are timed on
    (``time.perf_counter()``), so that submit-to-EXECUTED is one clock's difference."""

    def __init__(self) -> None:
        self._offset = time.time() - time.perf_counter()

    def of(self, at: datetime) -> float:
        return at.timestamp() - self._offset


class Completion(Protocol):
    """How a run learns that its orders reached EXECUTED, and when: ``wait_for`` runs
    inside the timed part of a level, ``collect`` after it."""

    executed_at: dict[str, float]  # order id -> time.perf_counter() seconds

    async def wait_for(self, order_ids: list[str], deadline: float) -> None:
        """Return once every one of the orders ended, or after ``deadline`` seconds."""

    async def collect(self, order_ids: list[str]) -> None:
        """Put the EXECUTED time of each of the orders not known yet in ``executed_at``."""


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
        self._clock = PerfClock()

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
            self.executed_at.setdefault(event.order_id, self._clock.of(event.at))
            self._arrived.set()

    async def wait_for(self, order_ids: list[str], deadline: float) -> None:
        await self._wait(lambda: all(i in self.executed_at for i in order_ids), deadline)

    async def wait_for_count(self, count: int, deadline: float) -> None:
        """Return once ``count`` orders were EXECUTED, or after ``deadline`` seconds."""
        await self._wait(lambda: len(self.executed_at) >= count, deadline)

    async def _wait(self, done: Callable[[], bool], deadline: float) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while not done() and loop.time() < end:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.0, end - loop.time()))
            except TimeoutError:
                break

    async def collect(self, order_ids: list[str]) -> None:
        """Nothing left to do: each time came with its event."""

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.consumer.stop()


class OrderReader:
    """The completion of a service with no ``payment.executed`` topic (the embedded
    default). While a level is timed it polls the execution route's figures, which the
    console answers without a store read, so the polling barely loads the service it
    times; once the level is over it reads each order: the time of its EXECUTED
    transition, and the bank's reference, which verifies the payment."""

    def __init__(self, base_url: str, route: str = "execute-payment-order") -> None:
        self.base_url = base_url
        self.route = route
        self.executed_at: dict[str, float] = {}
        self.gateway_references: dict[str, str | None] = {}
        self._waited_for = 0  # orders of every wait so far, each of which the route ends once
        self._clock = PerfClock()

    async def wait_for(self, order_ids: list[str], deadline: float) -> None:
        self._waited_for += len(order_ids)
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        async with aiohttp.ClientSession() as session:
            while loop.time() < end:
                if await self._ended(session) >= self._waited_for:
                    return
                await asyncio.sleep(ROUTE_POLL_SECONDS)  # polling the figures until the deadline

    async def _ended(self, session: aiohttp.ClientSession) -> int:
        """Exchanges the execution route finished, paid or failed."""
        async with session.get(f"{self.base_url}/console/api/routes/metrics") as response:
            response.raise_for_status()
            figures = (await response.json())["metrics"][self.route]
        return int(figures["completed"] + figures["failed"])

    async def collect(self, order_ids: list[str]) -> None:
        connector = aiohttp.TCPConnector(limit=ORDER_READERS)
        async with aiohttp.ClientSession(connector=connector) as session:
            await asyncio.gather(*(self._read(session, order_id) for order_id in order_ids))

    async def _read(self, session: aiohttp.ClientSession, order_id: str) -> None:
        async with session.get(f"{self.base_url}/payment-orders/{order_id}") as response:
            response.raise_for_status()
            order = PaymentOrder.model_validate(await response.json())
        self.gateway_references[order_id] = order.gateway_reference
        for step in order.history:
            if step.status == OrderStatus.EXECUTED:
                self.executed_at[order_id] = self._clock.of(step.at)
