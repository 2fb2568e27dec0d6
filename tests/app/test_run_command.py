"""The README's run command: ``python app.py`` on the embedded defaults serves the API,
an order posted to it reaches EXECUTED on its own (no Kafka, no MongoDB), and SIGHUP
makes it read its clients file again."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp

from infra.services import service_processes
from payments.api.clients import digest
from tests.payments.conftest import VALID_ORDER
from tests.polling import eventually

ORDER = VALID_ORDER
_SERVERS = ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI")  # unset: the embedded defaults


def _clients_file(client_id: str, key: str) -> str:
    return f"clients:\n  - id: {client_id}\n    keySha256: {digest(key)}\n"


async def test_the_embedded_orchestrator_executes_an_order(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in _SERVERS}
    env["STORE_PATH"] = str(tmp_path / "orders.sqlite3")
    async with service_processes(tmp_path, inherit=False) as processes:
        app = await processes.start("all", env)
        await app.ready()
        async with aiohttp.ClientSession() as client:
            async with client.post(f"{app.url}/payment-orders", json=ORDER) as response:
                assert response.status == 201
                order = await response.json()

            async def executed() -> bool:
                async with client.get(f"{app.url}/payment-orders/{order['id']}") as response:
                    return bool((await response.json())["status"] == "EXECUTED")

            await eventually(executed, deadline=20)
            async with client.get(f"{app.url}/health/live") as response:
                assert await response.json() == {"status": "UP"}
        assert await app.stop() == 0  # SIGTERM: a graceful stop exits 0
    assert (tmp_path / "orders.sqlite3").exists()


async def test_sighup_reads_the_clients_file_again(tmp_path: Path) -> None:
    clients = tmp_path / "clients.yaml"
    await asyncio.to_thread(clients.write_text, _clients_file("shop-a", "old-key"))
    env = {key: value for key, value in os.environ.items() if key not in _SERVERS}
    env |= {"STORE_PATH": str(tmp_path / "orders.sqlite3"), "API_CLIENTS_FILE": str(clients)}
    async with service_processes(tmp_path, inherit=False) as processes:
        app = await processes.start("all", env)
        await app.ready()
        url, new_key = f"{app.url}/payment-orders", {"Authorization": "Bearer new-key"}
        async with aiohttp.ClientSession() as client:
            async with client.get(url, headers=new_key) as response:
                assert response.status == 401
            await asyncio.to_thread(clients.write_text, _clients_file("shop-a", "new-key"))
            app.process.send_signal(signal.SIGHUP)

            async def served() -> bool:
                async with client.get(url, headers=new_key) as response:
                    return response.status == 200

            await eventually(served, deadline=10)
            async with client.get(url, headers={"Authorization": "Bearer old-key"}) as response:
                assert response.status == 401
        assert await app.stop() == 0
