"""The benchmark's arithmetic and report, on made-up figures (no timing asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.load import Run, Submission
from bench.report import Level, percentile, summarise, write_reports

BATCH_SIZES = [
    {
        "route": "create-payment-order",
        "step": "batch createOrders",
        "groups": 2,
        "mean": 2.0,
        "histogram": {"1": 1, "2": 0, "4": 1},
    },
    {
        "route": "advance-payment-order",
        "step": "batch advanceOrders",
        "groups": 1,
        "mean": 4.0,
        "histogram": {"1": 0, "2": 0, "4": 1},
    },
]


def test_percentiles_pick_ranked_values() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        51.0,
        95.0,
        99.0,
    )


def _level(store_limit: float | None) -> Level:
    """Four orders at two a second; three executed 100 ms after their POST."""
    run = Run("closed c=2", started=0.0, accepted_by=2.0)
    run.submissions = [Submission(f"o{n}", sent_at=n * 0.5, post_seconds=0.01) for n in range(4)]
    executed = {f"o{n}": n * 0.5 + 0.1 for n in range(3)}
    return summarise(run, executed, ["o3"], store_limit, BATCH_SIZES)


def _reports(tmp_path: Path, **result: Any) -> tuple[str, dict[str, Any]]:
    write_reports(
        {
            "machine": {"cpus": 2, "python": "3.11", "platform": "linux"},
            "cpu_seconds_per_order": {"ingest": 0.01},
            "verification": {"every_order_executed": False},
            **result,
        },
        tmp_path,
    )
    assert (tmp_path / "latency.png").stat().st_size > 1000
    return (tmp_path / "results.md").read_text(), json.loads(
        (tmp_path / "results.json").read_text()
    )


def test_summary_and_reports_of_a_kafka_run(tmp_path: Path) -> None:
    level = _level(store_limit=8.0)
    assert level.accepted_per_s == 2.0
    assert round(level.executed_per_s, 3) == round(3 / 1.1, 3)
    assert round(level.executed_ms["p50"]) == 100

    table, figures = _reports(
        tmp_path,
        setup={
            "mode": "kafka",
            "workers": 2,
            "servers": "started",
            "kafka": "Apache Kafka 4.0.2 (KRaft)",
            "store": "FerretDB v1.24.2 on PostgreSQL 15",
        },
        limits={
            "kafka_messages_per_s": 1000.0,
            "store_orders_per_s_one_at_a_time": 4.0,
            "store_concurrency": 2,
            "store_burst_orders": 4,
            "store_bursts_per_s": [10.0, 6.0],
            "store_limit": 8.0,
            "beside_bursts_cpu_share": 0.027,
        },
        levels=[level.as_json()],
    )

    assert (
        "One ingestion process and 2 processor workers on Apache Kafka 4.0.2 (KRaft) and "
        "FerretDB v1.24.2 on PostgreSQL 15, both started by this run."
    ) in table
    assert (
        "into one database: 4.0 orders/s one at a time; 2 together, in bursts of 4 orders "
        "before each load level and after the last: 10.0, 6.0 orders/s (mean 8.0); each "
        "level's ratio is to the mean of the bursts on either side of it. Beside the bursts, "
        "the idle services and Kafka used 2.7% of the CPU"
    ) in table
    assert "| closed c=2 | 4 | 2.0 | 2.7 | 8.0 | 34% |" in table
    assert "- closed c=2: createOrders 2.0, advanceOrders 4.0\n" in table
    assert figures["setup"]["store"] == "FerretDB v1.24.2 on PostgreSQL 15"
    assert figures["levels"][0]["not_executed"] == 1
    assert figures["levels"][0]["batch_sizes"] == BATCH_SIZES


def test_a_run_on_given_servers_says_they_were_not_started(tmp_path: Path) -> None:
    table, _ = _reports(
        tmp_path,
        setup={
            "mode": "kafka",
            "workers": 1,
            "servers": "given",
            "kafka": "given by KAFKA_BOOTSTRAP_SERVERS, not started",
            "store": "given by MONGO_URI, not started",
        },
        limits={
            "kafka_messages_per_s": 1000.0,
            "store_orders_per_s_one_at_a_time": 4.0,
            "store_concurrency": 2,
            "store_burst_orders": 4,
            "store_bursts_per_s": [8.0, 8.0],
            "store_limit": 8.0,
            "beside_bursts_cpu_share": 0.01,
        },
        levels=[_level(store_limit=8.0).as_json()],
    )
    assert (
        "One ingestion process and 1 processor workers on the servers KAFKA_BOOTSTRAP_SERVERS "
        "and MONGO_URI name, given and not started by this run (so their CPU is not counted)."
    ) in table


def test_an_embedded_run_has_no_store_limit(tmp_path: Path) -> None:
    table, figures = _reports(
        tmp_path,
        setup={"mode": "embedded", "servers": "none", "store": "SQLite (the embedded store)"},
        limits=None,
        levels=[_level(store_limit=None).as_json()],
    )

    assert (
        "Embedded: one `python app.py all` process on SQLite (the embedded store) and "
        "in-process queues, with its in-process bank; no servers, no store bursts, no Kafka limit."
    ) in table
    assert "Raw limits" not in table
    assert "| closed c=2 | 4 | 2.0 | 2.7 | — | — |" in table
    assert "- closed c=2: createOrders 2.0, advanceOrders 4.0\n" in table
    assert figures["levels"][0]["store_limit_per_s"] is None
    assert figures["levels"][0]["of_store_limit"] is None


def test_an_open_loop_reports_its_slowest_orders_and_the_rate_it_sustained(
    tmp_path: Path,
) -> None:
    """Latency from each order's planned send; 1 of 4 orders over 1 s is 25 %: that
    level is not sustained, the one with none over is."""
    slow = Run("open 100/s", started=0.0, accepted_by=0.04)
    slow.submissions = [Submission(f"s{n}", sent_at=n * 0.01, post_seconds=0.02) for n in range(4)]
    level = summarise(slow, {"s0": 0.3, "s1": 0.4, "s2": 0.5, "s3": 1.6}, [], None, BATCH_SIZES)
    assert level.executed_ms["max"] == 1000 * (1.6 - 0.03)
    assert level.executed_ms["share_over_1s"] == 0.25
    quick = Run("open 50/s", started=0.0, accepted_by=0.08)
    quick.submissions = [Submission(f"q{n}", sent_at=n * 0.02, post_seconds=0.02) for n in range(4)]
    kept = summarise(quick, {f"q{n}": n * 0.02 + 0.3 for n in range(4)}, [], None, BATCH_SIZES)
    bank = {
        "GATEWAY_LATENCY": "0.12",
        "GATEWAY_LATENCY_P99": "0.38",
        "GATEWAY_LATENCY_CAP": "2.0",
        "GATEWAY_TRANSIENT_FAILURE_RATE": "0.007",
    }
    table, _ = _reports(
        tmp_path,
        setup={"mode": "embedded", "store": "SQLite"},
        bank=bank,
        limits=None,
        levels=[kept.as_json(), level.as_json()],
    )
    assert "log-normal time, p50 120 ms, p99 380 ms, capped at 2 s; 0.7% of its answers" in table
    assert "| 25.00% |" in table
    assert "Highest open-loop rate with at most 1 % of orders over 1 s: 50/s." in table
