"""CPU time read from /proc, as the benchmark counts it per process and per server."""

from __future__ import annotations

import os
import subprocess
import sys

from infra.services import cpu_seconds

_BUSY_CHILD = "sum(i * i for i in range(3_000_000)); print(flush=True); input()"
_SPAWNS_A_BUSY_CHILD = f"""
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", {_BUSY_CHILD!r}], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
child.stdout.readline()
print(child.pid, flush=True)
input()
child.communicate(b"\\n")
"""


def test_the_cpu_time_of_a_process_grows_with_its_work() -> None:
    before = cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))
    assert cpu_seconds(os.getpid()) > before


def test_with_descendants_the_cpu_time_of_live_processes_below_counts_too() -> None:
    """A grandchild too: as root, PostgreSQL's backends run under ``runuser``."""
    command = [sys.executable, "-c", _SPAWNS_A_BUSY_CHILD]
    parent = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert parent.stdout is not None
        grandchild = int(parent.stdout.readline())  # its work is done; it waits, alive
        own = cpu_seconds(os.getpid())
        with_tree = cpu_seconds(os.getpid(), descendants=True)
        assert with_tree - own >= cpu_seconds(grandchild) > 0
    finally:
        parent.communicate(b"\n", timeout=10)
