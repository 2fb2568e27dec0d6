"""The benchmark's embedded mode against a real ``python app.py all``: no server setting
it inherited leaks in, and it learns each order's EXECUTED time and bank reference from
the service itself, with no ``payment.executed`` topic to watch."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.load import closed_loop
from bench.systems import embedded_system


async def test_orders_are_timed_and_verified_from_the_service_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Servers that do not exist: a service that saw them would never be ready.
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:1/")
    async with embedded_system(tmp_path) as system:
        run = await closed_loop(system.api, orders=3, concurrency=2)
        ids = [submission.order_id for submission in run.submissions]
        await system.completion.wait_for(ids, deadline=30)
        await system.completion.collect(ids)
        verification = await system.verify(ids)
    collected = time.perf_counter()

    executed = system.completion.executed_at
    assert set(executed) == set(ids)
    assert all(s.sent_at < executed[s.order_id] < collected for s in run.submissions)
    assert verification == {"gateway_references": 3, "paid_exactly_once": True}
    assert (tmp_path / "orders.sqlite3").exists()  # the store is the run's own
