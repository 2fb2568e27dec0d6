"""Payment services running in the test's own event loop, on the real servers."""

from __future__ import annotations

import asyncio
import base64
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from config.settings import SHIPPED_ROUTES, Settings
from endpoints.exchange import utcnow
from infra.server import free_port
from payments.api.clients import digest
from payments.bank import SimulatedBank
from payments.service.build import Mode, PaymentService, build_service

StartService = Callable[..., Awaitable[PaymentService]]
ServeApp = Callable[[web.Application], Awaitable[str]]
STOP_BOUND = 60.0  # seconds a service may take to stop

# A payment order every rule accepts; tests change one field at a time.
VALID_ORDER = {
    "debtorAccount": "DE89370400440532013000",
    "creditorAccount": "GB82WEST12345698765432",
    "amount": "125.50",
    "currency": "EUR",
}


def routes_beside_the_flow(folder: Path, *files: Path) -> Path:
    """A routes folder of the shipped payment flow and ``files`` at its top."""
    for name in ("ingest", "process", "reconcile"):
        shutil.copytree(SHIPPED_ROUTES / name, folder / name)
    for file in files:
        shutil.copy(file, folder / file.name)
    return folder


@pytest.fixture
def tenant() -> str:
    """A topic prefix and database of this test's own, so tests never see each other."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def start_service(
    kafka_bootstrap: str, mongo_uri: str, tenant: str, tmp_path: Any
) -> AsyncIterator[StartService]:
    started: list[PaymentService] = []

    async def start(
        mode: Mode = "all",
        *,
        bank: SimulatedBank | None = None,
        embedded: bool = False,
        **overrides: Any,
    ) -> PaymentService:
        values: dict[str, Any] = {
            "http_port": free_port(),
            "kafka_bootstrap_servers": None if embedded else kafka_bootstrap,
            "mongo_uri": None if embedded else mongo_uri,
            "mongo_database": tenant,
            "kafka_topic_prefix": f"{tenant}.",
            "store_path": tmp_path / "orders.sqlite3",
            "payment_files_dir": tmp_path / "payment-files",
            "execute_topic_partitions": 6,
            "processor_concurrency": 8,
            "gateway_redelivery_delay": 0.01,
            "gateway_max_redelivery_delay": 0.05,
        }
        clock = overrides.pop("clock", utcnow)
        values.update(overrides)
        service = build_service(Settings(**values), mode, bank=bank, clock=clock)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        # The engine's grace is 30 s: a stop hanging past it fails this test, not the run.
        async with asyncio.timeout(STOP_BOUND):
            await service.stop()


async def stored_orders(client: aiohttp.ClientSession, service: PaymentService) -> int:
    """How many orders the service lists (up to 100): none, after a refused request."""
    async with client.get(f"{service.http.url}/payment-orders?limit=100") as response:
        return len((await response.json())["items"])


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


KEY_A, KEY_B, KEY_SLOW, KEY_OPS = "key-of-shop-a", "key-of-shop-b", "key-of-slow", "key-of-ops"
CLIENTS = f"""
clients:
  - id: shop-a
    keySha256: {digest(KEY_A)}
  - id: shop-b
    keySha256: {digest(KEY_B)}
  - id: slow
    keySha256: {digest(KEY_SLOW)}
    rateLimit: {{perSecond: 0.5, burst: 3}}
operators:
  - id: ops
    keySha256: {digest(KEY_OPS)}
"""


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"ops:{key}".encode()).decode()}


@pytest.fixture
def clients_file(tmp_path: Path) -> Path:
    """Clients shop-a, shop-b and slow (a low rate limit), and operator ops."""
    path = tmp_path / "clients.yaml"
    path.write_text(CLIENTS)
    return path


@pytest.fixture
async def serve_app() -> AsyncIterator[ServeApp]:
    """Serve an app (a simulated bank, a screening service) on a free port of 127.0.0.1;
    its base URL is returned."""
    runners: list[web.AppRunner] = []

    async def serve(app: web.Application) -> str:
        runner = web.AppRunner(app, shutdown_timeout=5)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()
