"""``python -m bench`` stopped by a signal, as a real process on real servers: every
process it started — servers, their children, services — stops with it, and it exits
with 128 + the signal's number, saying so on its last line."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra.services import ROOT, descendants_of, stat_fields

TINY = [
    *("--orders", "20", "--open-orders", "20", "--single-orders", "5"),
    *("--concurrency", "1", "8", "--limit-messages", "200", "--workers", "1"),
]
SERVICES = {"gateway", "ingest", "process"}
START_DEADLINE = 180.0  # seconds for servers and services to start on two busy cores
STOP_DEADLINE = 90.0  # a service is given 30 s to stop, and three stop one after another
POLL_SECONDS = 0.1

# A process, named so that a pid the system reuses is not taken for it: (pid, start time).
Process = tuple[int, str]


def _identity(pid: int) -> Process | None:
    """The process running as ``pid``, None when there is none, or only its zombie."""
    try:
        fields = stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in ("Z", "X") else (pid, fields[19])


def _command(pid: int) -> list[str]:
    """Its command line; empty while it has none: a process that is exiting reads as
    an empty file before it turns zombie."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        if raw := Path(f"/proc/{pid}/cmdline").read_bytes():
            return raw.decode(errors="replace").split("\0")
    return []


def _alive(process: Process) -> bool:
    return _identity(process[0]) == process


class Bench:
    """``python -m bench`` in a process of its own, and every process seen below it: once
    it exits, its orphans are no longer below it, so they are recorded while it runs."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.stderr_path = folder / "bench.stderr"
        self.seen: dict[Process, list[str]] = {}
        # The run's temporary folder, where it starts its servers, goes here too.
        env = {**env, "TMPDIR": str(folder)}
        command = [sys.executable, "-m", "bench", *TINY, "--out", str(folder / "results")]
        with (folder / "bench.stdout").open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)

    def record(self) -> None:
        """The latest command line wins: a child caught between fork and exec still
        shows the bench's."""
        for pid in descendants_of(self.process.pid):
            if (process := _identity(pid)) is not None and (command := _command(pid)):
                self.seen[process] = command

    def modes(self, *, running: bool = True) -> set[str]:
        """The modes of the services (``python app.py MODE``) running below it now, or,
        with ``running=False``, ever seen there."""
        commands = [command for p, command in self.seen.items() if not running or _alive(p)]
        return {c[2] for c in commands if len(c) > 2 and c[1] == "app.py"}

    def commands(self) -> str:
        return " ".join(" ".join(command) for command in self.seen.values())

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def poll(self, done: Callable[[], object], deadline: float) -> bool:
        """Record, until ``done()`` or the bench's exit; False if neither came in time."""
        end = time.monotonic() + deadline
        for _ in range(int(deadline / POLL_SECONDS) + 1):
            self.record()
            if done():
                return True
            if self.process.poll() is not None or time.monotonic() > end:
                return False
            time.sleep(POLL_SECONDS)  # polling the process tree until the deadline
        return False

    def stop(self, sig: signal.Signals) -> int | None:
        """Send ``sig``; the exit status once the bench exited, None if it did not."""
        self.process.send_signal(sig)
        self.poll(lambda: self.process.poll() is not None, STOP_DEADLINE)
        return self.process.poll()

    def _started_and_alive(self) -> list[Process]:
        return [p for p in self.seen if p[0] != self.process.pid and _alive(p)]

    def left_running(self) -> list[str]:
        """What it started and is still alive once the deadline passed (none, at once)."""
        end = time.monotonic() + STOP_DEADLINE
        for _ in range(int(STOP_DEADLINE / POLL_SECONDS) + 1):
            if not self._started_and_alive() or time.monotonic() > end:
                break
            time.sleep(POLL_SECONDS)  # polling for the processes' end until the deadline
        return [" ".join(self.seen[p]) for p in self._started_and_alive()]

    def kill_all(self) -> None:
        """After a failure: nothing this test made may outlive it."""
        for pid, since in self.seen:
            if _alive((pid, since)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a short path: PostgreSQL's socket, in the run's temporary folder,
    needs a path under 108 bytes, which a test's own ``tmp_path`` can exceed."""
    return tmp_path_factory.mktemp("bench")


@contextlib.contextmanager
def bench(folder: Path, env: dict[str, str]) -> Iterator[Bench]:
    running = Bench(folder, env)
    try:
        yield running
    finally:
        running.kill_all()


def _stopped(running: Bench, sig: signal.Signals) -> None:
    """Stop the bench with ``sig`` and check that it and everything it started ended."""
    assert running.stop(sig) == 128 + sig, running.stderr()[-3000:]
    assert running.left_running() == []
    last_line = running.stderr().rstrip().splitlines()[-1]
    assert last_line == f"bench: stopped by {sig.name}; every process it started is stopped"


def _without_servers() -> dict[str, str]:
    """This environment without servers or ports named: the bench starts its own, on
    free ports."""
    given = {"KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI", "KAFKA_PORT", "KAFKA_CONTROLLER_PORT"}
    given |= {"FERRETDB_PORT", "POSTGRES_PORT"}
    return {name: value for name, value in os.environ.items() if name not in given}


@pytest.mark.timeout(START_DEADLINE + 2 * STOP_DEADLINE + 30)
def test_sigterm_once_the_services_run_stops_them_and_the_servers_it_started(
    folder: Path,
) -> None:
    with bench(folder, _without_servers()) as running:
        assert running.poll(lambda: running.modes() >= SERVICES, START_DEADLINE), running.stderr()[
            -3000:
        ]
        _stopped(running, signal.SIGTERM)

    commands = running.commands()
    assert "kafka.Kafka" in commands
    assert "ferretdb" in commands
    assert "postgres" in commands  # FerretDB's backend by default


@pytest.mark.timeout(START_DEADLINE + 2 * STOP_DEADLINE + 30)
def test_sigterm_while_a_server_starts_stops_it(folder: Path) -> None:
    with bench(folder, _without_servers()) as running:
        assert running.poll(lambda: "kafka.Kafka" in running.commands(), START_DEADLINE), (
            running.stderr()[-3000:]
        )
        _stopped(running, signal.SIGTERM)

    assert "ferretdb" not in running.commands()  # the start in progress was the last
    assert running.modes(running=False) == set()


@pytest.mark.kafka
@pytest.mark.mongo
@pytest.mark.timeout(START_DEADLINE + 2 * STOP_DEADLINE + 30)
def test_sigint_once_the_load_began_stops_the_services_on_given_servers(
    folder: Path, kafka_bootstrap: str, mongo_uri: str
) -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "MONGO_URI": mongo_uri}
    with bench(folder, env) as running:
        assert running.poll(lambda: "closed c=" in running.stderr(), START_DEADLINE), (
            running.stderr()[-3000:]
        )
        _stopped(running, signal.SIGINT)

    assert running.modes(running=False) == SERVICES
