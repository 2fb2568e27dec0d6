"""CPU time read from /proc, as the benchmark counts it per process and per server."""

from __future__ import annotations

import os
import subprocess
import sys

from infra.services import cpu_seconds

_BUSY_CHILD = "print(sum(i * i for i in range(3_000_000)), flush=True); input()"


def test_the_cpu_time_of_a_process_grows_with_its_work() -> None:
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))
    assert cpu_seconds(os.getpid()) > before


def test_with_children_the_cpu_time_of_live_child_processes_counts_too() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _BUSY_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        child.stdout.readline()  # its work is done; it waits, alive
        own = cpu_seconds(os.getpid())
        with_child = cpu_seconds(os.getpid(), children=True)
        assert with_child - own >= cpu_seconds(child.pid) > 0
    finally:
        child.communicate(b"\n", timeout=10)
