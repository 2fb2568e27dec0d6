"""The benchmark's arithmetic and report, on made-up figures (no timing asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.load import Run, Submission
from bench.report import percentile, summarise, write_reports


def test_percentiles_pick_ranked_values() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        51.0,
        95.0,
        99.0,
    )


def test_summary_and_reports_from_a_run(tmp_path: Path) -> None:
    run = Run("closed c=2", started=0.0, accepted_by=2.0)
    run.submissions = [Submission(f"o{n}", sent_at=n * 0.5, post_seconds=0.01) for n in range(4)]
    executed = {f"o{n}": n * 0.5 + 0.1 for n in range(3)}
    level = summarise(run, executed, missing=["o3"], store_limit=8.0)
    assert level.accepted_per_s == 2.0
    assert round(level.executed_per_s, 3) == round(3 / 1.1, 3)
    assert round(level.executed_ms["p50"]) == 100
    result = {
        "machine": {"cpus": 2, "python": "3.11", "platform": "linux"},
        "workers": 2,
        "limits": {
            "kafka_messages_per_s": 1000.0,
            "store_orders_per_s_one_at_a_time": 4.0,
            "store_concurrency": 2,
            "store_burst_orders": 4,
            "store_bursts_per_s": [10.0, 6.0],
            "store_limit": 8.0,
            "beside_bursts_cpu_share": 0.027,
        },
        "levels": [level.as_json()],
        "cpu_seconds_per_order": {"ingest": 0.01},
        "verification": {"every_order_executed": False},
    }
    write_reports(result, tmp_path)
    table = (tmp_path / "results.md").read_text()
    assert (
        "into one database: 4.0 orders/s one at a time; 2 together, in bursts of 4 orders "
        "before each load level and after the last: 10.0, 6.0 orders/s (mean 8.0); each "
        "level's ratio is to the mean of the bursts on either side of it. Beside the bursts, "
        "the idle services and Kafka used 2.7% of the CPU"
    ) in table
    assert "| closed c=2 | 4 | 2.0 | 2.7 | 8.0 | 34% |" in table
    assert (tmp_path / "latency.png").stat().st_size > 1000
    assert '"not_executed": 1' in (tmp_path / "results.json").read_text()
