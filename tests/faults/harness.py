"""What every fault scenario does around its fault: deploy the services as in
production (a bank, processor workers as real processes, the ingestion API), submit
orders as a careful client would (retrying with the same Idempotency-Key), wait
until they settle, and read the bank's ledger and the topics back."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from infra.services import ServiceProcess, ServiceStarter
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import OrderStore
from payments.service.build import PaymentService
from payments.stores import MongoOrderStore
from tests.faults.summary import LedgerCheck, check_ledger
from tests.payments.conftest import VALID_ORDER, StartService
from tests.polling import eventually

ORDERS_PATH = "/payment-orders"
# How long one answer of the API may take, even while a server is down; and while
# FerretDB is saturated by a scenario's load (it answers in seconds then).
ANSWER_BOUND = 5.0
LOADED_BOUND = 20.0


@dataclass
class Deployment:
    """One scenario's services: the bank and the workers are processes, the API runs
    in the test's loop (its store is read directly to check the orders)."""

    bank: ServiceProcess
    ingest: PaymentService | None
    workers: list[ServiceProcess]
    processes: ServiceStarter
    env: dict[str, str]

    @property
    def service(self) -> PaymentService:
        """The ingestion service (API, lifecycle, recovery sweep)."""
        assert self.ingest is not None, "deployed without the API"
        return self.ingest

    @property
    def api(self) -> str:
        return self.service.http.url

    @property
    def store(self) -> MongoOrderStore:
        """The API's order store (the scenario's database)."""
        store = self.service.store
        assert isinstance(store, MongoOrderStore)
        return store

    async def add_worker(self) -> ServiceProcess:
        """Start one more processor worker; it is ready once it owns partitions."""
        worker = await self.processes.start("process", {**self.env, "GATEWAY_URL": self.bank.url})
        self.workers.append(worker)
        await worker.ready()
        return worker


Deploy = Callable[..., Awaitable[Deployment]]


def deployer(
    processes: ServiceStarter,
    start_service: StartService,
    kafka_bootstrap: str,
    mongo_uri: str,
    tenant: str,
) -> Deploy:
    async def deploy(
        workers: int = 2, *, api: bool = True, gateway_latency: float = 0.005, **settings: Any
    ) -> Deployment:
        """``settings``: ``Settings`` fields for the API and the workers alike."""
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "MONGO_URI": mongo_uri,
            "MONGO_DATABASE": tenant,
            "KAFKA_TOPIC_PREFIX": f"{tenant}.",
            **{name.upper(): str(value) for name, value in settings.items()},
        }
        bank = await processes.start("gateway", {"GATEWAY_LATENCY": str(gateway_latency)})
        await bank.ready("/health")
        # The API first: it creates the topics the workers subscribe to.
        ingest = await start_service("ingest", gateway_url=bank.url, **settings) if api else None
        deployment = Deployment(bank, ingest, [], processes, env)
        for _ in range(workers):
            await deployment.add_worker()
        return deployment

    return deploy


# -- the client ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str
    seconds: float


async def request(
    client: aiohttp.ClientSession,
    method: str,
    url: str,
    bound: float = ANSWER_BOUND,
    **kwargs: Any,
) -> Answer:
    """One HTTP request, timed; no answer within ``bound`` seconds raises TimeoutError."""
    started = time.monotonic()
    async with asyncio.timeout(bound), client.request(method, url, **kwargs) as response:
        body = await response.json(content_type=None)
        return Answer(response.status, body, response.content_type, time.monotonic() - started)


async def post_order(
    client: aiohttp.ClientSession, api: str, key: str, bound: float = ANSWER_BOUND
) -> Answer:
    headers = {"Idempotency-Key": key}
    return await request(
        client, "POST", api + ORDERS_PATH, bound, json=VALID_ORDER, headers=headers
    )


@dataclass
class Submission:
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> order id
    statuses: Counter[int] = field(default_factory=Counter)  # every answer, retries included
    slowest: float = 0.0  # seconds of the slowest answer


async def submit_orders(
    client: aiohttp.ClientSession,
    api: str,
    keys: Iterable[str],
    submission: Submission | None = None,
    concurrency: int = 12,
    deadline: float = 120,
) -> Submission:
    """Submit an order per key, ``concurrency`` at a time; a 503 is retried with the
    same key, as the API asks. Any other answer but 201/200 fails the test. Answers
    may be slow while FerretDB is saturated, so each may take up to LOADED_BOUND."""
    done = submission or Submission()
    pending = list(keys)

    async def one(key: str) -> None:
        while True:
            answer = await post_order(client, api, key, LOADED_BOUND)
            done.statuses[answer.status] += 1
            done.slowest = max(done.slowest, answer.seconds)
            if answer.status in (200, 201):
                done.accepted[key] = answer.body["id"]
                return
            assert answer.status == 503, f"order {key}: {answer}"
            await asyncio.sleep(0.2)  # a client's back-off, not synchronisation

    async def lane() -> None:
        while pending:
            await one(pending.pop(0))

    async with asyncio.timeout(deadline):
        await asyncio.gather(*(lane() for _ in range(concurrency)))
    return done


async def ledger_keys(client: aiohttp.ClientSession, bank: ServiceProcess) -> list[str]:
    """The idempotency key (= order id) of every payment the bank booked."""
    async with client.get(bank.url + "/ledger") as response:
        ledger = await response.json()
    return [entry["idempotencyKey"] for entry in ledger["entries"]]


async def settle(
    store: OrderStore, order_ids: Sequence[str], deadline: float
) -> dict[str, PaymentOrder]:
    """Poll the store until every order is terminal or the deadline passes; the
    terminal ones, by id (the caller reports the others as lost)."""
    terminal: dict[str, PaymentOrder] = {}
    reads = asyncio.Semaphore(16)

    async def read(order_id: str) -> PaymentOrder | None:
        async with reads:
            return await store.get(order_id)

    async def all_terminal() -> bool:
        left = [order_id for order_id in order_ids if order_id not in terminal]
        for order in await asyncio.gather(*map(read, left)):
            if order is not None and order.status.terminal:
                terminal[order.id] = order
        return len(terminal) == len(order_ids)

    with contextlib.suppress(TimeoutError):
        await eventually(all_terminal, deadline, interval=0.5)
    return terminal


async def booked(
    client: aiohttp.ClientSession, bank: ServiceProcess, count: int, deadline: float
) -> list[str]:
    """The ledger once it has ``count`` entries (or at the deadline, however many)."""
    keys: list[str] = []

    async def enough() -> bool:
        keys[:] = await ledger_keys(client, bank)
        return len(keys) >= count

    with contextlib.suppress(TimeoutError):
        await eventually(enough, deadline, interval=0.5)
    return keys


@dataclass(frozen=True)
class Outcome:
    order_ids: frozenset[str]
    terminal: dict[str, PaymentOrder]
    ledger: LedgerCheck
    stored: int  # orders in the scenario's database: one per idempotency key, no more

    @property
    def not_terminal(self) -> frozenset[str]:
        return self.order_ids - set(self.terminal)

    @property
    def lost(self) -> int:
        return len(self.not_terminal | self.ledger.missing)

    @property
    def duplicated(self) -> int:
        return len(self.ledger.doubled)

    def not_executed_once(self) -> list[str]:
        """Orders not EXECUTED, or whose history says EXECUTED more than once."""
        return [
            order.id
            for order in self.terminal.values()
            if [step.status for step in order.history].count(OrderStatus.EXECUTED) != 1
        ]


async def outcome(
    client: aiohttp.ClientSession,
    bank: ServiceProcess,
    store: MongoOrderStore,
    order_ids: Sequence[str],
    deadline: float,
) -> Outcome:
    """Wait (up to ``deadline`` for each) until the bank booked as many payments as
    there are orders and every order is terminal; then compare them."""
    await booked(client, bank, len(order_ids), deadline)
    terminal = await settle(store, order_ids, deadline)
    ledger = check_ledger(order_ids, await ledger_keys(client, bank))
    stored = await store.revisions.count_documents({"version": 0})
    return Outcome(frozenset(order_ids), terminal, ledger, stored)
