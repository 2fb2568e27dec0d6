"""Figures of a benchmark run, as JSON, a Markdown table and a PNG plot."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Run


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass
class Level:
    run: Run
    accepted_per_s: float
    executed_per_s: float
    post_ms: dict[str, float]
    executed_ms: dict[str, float]
    missing: list[str]
    # Orders/s, the mean of the store's bursts around this level; None when embedded,
    # where no burst runs.
    store_limit: float | None
    batch_sizes: list[dict[str, Any]]  # what each batch step formed (``bench.batches``)
    # CPU seconds per order of each process during this level alone.
    cpu_seconds_per_order: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        limit = self.store_limit
        return {
            "label": self.run.label,
            "orders": len(self.run.submissions),
            "http_failures": self.run.failures,
            "accepted_per_s": self.accepted_per_s,
            "executed_per_s": self.executed_per_s,
            "store_limit_per_s": limit,
            "of_store_limit": None if limit is None else self.executed_per_s / limit,
            "post_latency_ms": self.post_ms,
            "submit_to_executed_ms": self.executed_ms,
            "not_executed": len(self.missing),
            "batch_sizes": self.batch_sizes,
            "cpu_seconds_per_order": self.cpu_seconds_per_order,
        }


# What an order may take end to end before it counts as slow (issue 29's goal: at most
# 1 % of orders over it).
SLOW_SECONDS = 1.0


def _quantiles(seconds: list[float]) -> dict[str, float]:
    return {f"p{q}": 1000 * percentile(seconds, q) for q in (50, 95, 99)} | {
        "mean": 1000 * statistics.fmean(seconds) if seconds else float("nan"),
        "max": 1000 * max(seconds) if seconds else float("nan"),
        "share_over_1s": (
            sum(s > SLOW_SECONDS for s in seconds) / len(seconds) if seconds else float("nan")
        ),
    }


def summarise(
    run: Run,
    executed_at: dict[str, float],
    missing: list[str],
    store_limit: float | None,
    batch_sizes: list[dict[str, Any]],
) -> Level:
    done = [s for s in run.submissions if s.order_id in executed_at]
    last = max((executed_at[s.order_id] for s in done), default=run.started)
    orders = len(run.submissions)
    return Level(
        run=run,
        accepted_per_s=orders / max(1e-9, run.accepted_by - run.started),
        executed_per_s=len(done) / max(1e-9, last - run.started),
        post_ms=_quantiles([s.post_seconds for s in run.submissions]),
        executed_ms=_quantiles([executed_at[s.order_id] - s.sent_at for s in done]),
        missing=missing,
        store_limit=store_limit,
        batch_sizes=batch_sizes,
    )


def _setup(result: dict[str, Any]) -> str:
    """What ran: the mode, the services and the servers (started, or given)."""
    setup = result["setup"]
    if setup["mode"] == "embedded":
        return (
            f"Embedded: one `python app.py all` process on {setup['store']} and in-process "
            "queues, with its in-process bank; no servers, no store bursts, no Kafka limit."
        )
    services = f"One ingestion process and {setup['workers']} processor workers"
    if setup["servers"] == "given":
        return (
            f"{services} on the servers KAFKA_BOOTSTRAP_SERVERS and MONGO_URI name, given and "
            "not started by this run (so their CPU is not counted)."
        )
    return f"{services} on {setup['kafka']} and {setup['store']}, both started by this run."


def _limits(limits: dict[str, Any]) -> str:
    concurrency, bursts = limits["store_concurrency"], limits["store_bursts_per_s"]
    return (
        f"Raw limits: Kafka {limits['kafka_messages_per_s']:.0f} msg/s produced+consumed; "
        "store, the batch calls of orders that travel together (`bench.limits.write_orders`, "
        "ingestion's and a worker's through a store each) into one database: "
        f"{limits['store_orders_per_s_one_at_a_time']:.1f} orders/s one at a time; "
        f"{concurrency} together, in bursts of {limits['store_burst_orders']} orders before "
        "each load level and after the last: "
        + ", ".join(f"{rate:.1f}" for rate in bursts)
        + f" orders/s (mean {limits['store_limit']:.1f}); each level's ratio is to the mean "
        "of the bursts on either side of it. Beside the bursts, the idle services and "
        f"Kafka used {limits['beside_bursts_cpu_share']:.1%} of the CPU"
    )


def _bank(bank: dict[str, str] | None) -> str:
    """The simulated bank the run paid through."""
    if not bank or bank.get("GATEWAY_LATENCY_P99") is None:
        latency = f"answering in {float((bank or {}).get('GATEWAY_LATENCY', 0)) * 1000:.0f} ms"
    else:
        latency = (
            f"answering in a log-normal time, p50 {float(bank['GATEWAY_LATENCY']) * 1000:.0f} ms"
            f", p99 {float(bank['GATEWAY_LATENCY_P99']) * 1000:.0f} ms, capped at "
            f"{float(bank['GATEWAY_LATENCY_CAP']):g} s"
        )
    transient = float((bank or {}).get("GATEWAY_TRANSIENT_FAILURE_RATE", 0))
    return f"The simulated bank: {latency}; {transient:.1%} of its answers a 503 (retried)."


def _sustained(levels: list[dict[str, Any]]) -> str:
    """The highest open-loop rate at which at most 1 % of orders took over 1 s."""
    kept = [
        level["accepted_per_s"]
        for level in levels
        if level["label"].startswith("open")
        and level["submit_to_executed_ms"].get("share_over_1s", 1.0) <= 0.01
        and not level["not_executed"]
    ]
    if not kept:
        return "No open-loop level kept 1 % or fewer of its orders over 1 s."
    return f"Highest open-loop rate with at most 1 % of orders over 1 s: {max(kept):.0f}/s."


def _step_name(label: str) -> str:
    """``batch createOrders`` → ``createOrders``."""
    return label.removeprefix("batch ").rsplit(".", 1)[-1]


def _batch_means(level: dict[str, Any]) -> str:
    means = ", ".join(
        f"{_step_name(step['step'])} {step['mean']:.1f}" for step in level["batch_sizes"]
    )
    return f"- {level['label']}: {means or 'no batch formed'}"


def _or_dash(value: float | None, form: str) -> str:
    return "—" if value is None else format(value, form)


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Machine: {result['machine']['cpus']} CPUs, Python {result['machine']['python']}, "
        f"{result['machine']['platform']}.",
        "",
        _setup(result),
        "",
    ]
    if result["limits"] is not None:
        lines += [_limits(result["limits"]), ""]
    lines += [_bank(result.get("bank")), ""]
    lines += [
        "| load | orders | accepted/s | executed/s | store limit/s | of store limit | "
        "POST p50/p95/p99 ms | submit→EXECUTED p50/p95/p99/max ms | over 1 s | CPU ms/order |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |",
    ]
    for level in result["levels"]:
        post, done = level["post_latency_ms"], level["submit_to_executed_ms"]
        lines.append(
            f"| {level['label']} | {level['orders']} | {level['accepted_per_s']:.1f} | "
            f"{level['executed_per_s']:.1f} | {_or_dash(level['store_limit_per_s'], '.1f')} | "
            f"{_or_dash(level['of_store_limit'], '.0%')} | "
            f"{post['p50']:.0f} / {post['p95']:.0f} / {post['p99']:.0f} | "
            f"{done['p50']:.0f} / {done['p95']:.0f} / {done['p99']:.0f} / "
            f"{done.get('max', float('nan')):.0f} | "
            f"{_or_dash(done.get('share_over_1s'), '.2%')} | "
            f"{1000 * sum(level.get('cpu_seconds_per_order', {}).values()):.1f} |"
        )
    lines += ["", _sustained(result["levels"])]
    lines += [
        "",
        "Mean batch sizes, exchanges per group of each batch step (every group and its "
        "histogram are in results.json):",
        *map(_batch_means, result["levels"]),
        "",
        "CPU seconds per order: "
        + ", ".join(
            f"{name} {seconds * 1000:.1f} ms"
            for name, seconds in result["cpu_seconds_per_order"].items()
        ),
    ]
    lines += ["", "Verification: " + json.dumps(result["verification"])]
    return "\n".join(lines) + "\n"


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    levels = sorted(result["levels"], key=lambda level: level["executed_per_s"])
    rates = [level["executed_per_s"] for level in levels]
    figure, axis = pyplot.subplots(figsize=(7, 4))
    for key, label in (
        ("post_latency_ms", "POST p99"),
        ("submit_to_executed_ms", "submit→EXECUTED p99"),
    ):
        axis.plot(rates, [level[key]["p99"] for level in levels], marker="o", label=label)
    for rate, level in zip(rates, levels, strict=True):
        axis.annotate(level["label"], (rate, level["submit_to_executed_ms"]["p99"]), fontsize=7)
    axis.set_xlabel("orders executed per second")
    axis.set_ylabel("latency, ms (log)")
    axis.set_yscale("log")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def write_json(result: dict[str, Any], path: Path) -> None:
    """The raw figures, in a file (and its folder) written now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2))


def write_reports(result: dict[str, Any], out: Path) -> None:
    write_json(result, out / "results.json")
    (out / "results.md").write_text(markdown(result))
    plot(result, out / "latency.png")
