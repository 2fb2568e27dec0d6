"""The README's run command: ``python app.py`` on the embedded defaults serves the API,
and an order posted to it reaches EXECUTED on its own (no Kafka, no MongoDB)."""

from __future__ import annotations

import os
from pathlib import Path

import aiohttp

from infra.services import service_processes
from tests.payments.conftest import VALID_ORDER
from tests.polling import eventually

ORDER = VALID_ORDER


async def test_the_embedded_orchestrator_executes_an_order(tmp_path: Path) -> None:
    env = dict(os.environ)
    for unset in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI"):
        env.pop(unset, None)
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
