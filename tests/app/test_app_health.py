"""The run command from the README: ``python app.py`` serves ``/health`` on HTTP_PORT."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from infra.server import free_port

ROOT = Path(__file__).resolve().parents[2]


async def test_app_serves_health_on_http_port() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        "all",
        cwd=ROOT,
        env={**env, "HTTP_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        body = await _poll_health(f"http://127.0.0.1:{port}/health", deadline_s=20)
        assert body == {"status": "UP"}
    finally:
        process.terminate()
        await process.wait()


async def _poll_health(url: str, deadline_s: float) -> object:
    async with aiohttp.ClientSession() as session, asyncio.timeout(deadline_s):
        while True:
            try:
                async with session.get(url) as response:
                    return await response.json()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)  # not listening yet: poll again until the deadline
