"""A local server process the project installs, starts, probes and stops itself.

Each server keeps its state in one folder: the ports it was given (kept across
restarts, so clients reconnect to the same address), its pid, its log and its data.
Subclasses say how to install, configure and probe; this class runs the process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

HOST = "127.0.0.1"


class InfraError(RuntimeError):
    """A server could not be installed or started; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def run_logged(
    cmd: list[str], log: Path, what: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> None:
    """Run an install step; on failure raise with the last lines of its output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        result = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        raise InfraError(f"{what} failed (exit {result.returncode}):\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class ManagedServer(ABC):
    name: str
    port_names: tuple[str, ...]
    start_timeout_s: float = 60.0
    stop_signal: signal.Signals = signal.SIGTERM  # the server's graceful stop

    def __init__(self, cache_dir: Path, state_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.home = state_dir / self.name
        self.data_dir = self.home / "data"
        self.log_path = self.home / "server.log"
        self._pid_path = self.home / "pid"
        self._ports_path = self.home / "ports.json"
        self._process: subprocess.Popen[bytes] | None = None  # when started by this process

    # -- what a subclass supplies -------------------------------------------------
    @abstractmethod
    def installed(self) -> bool: ...

    @abstractmethod
    def install(self) -> None: ...

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def command(self) -> list[str]: ...

    @abstractmethod
    def probe(self) -> bool:
        """True once the server answers a real request."""

    @abstractmethod
    def env(self) -> dict[str, str]:
        """Connection settings the project reads, e.g. ``MONGO_URI``."""

    @abstractmethod
    def prepare(self) -> None:
        """Write configuration and create data folders before a start."""

    def process_env(self) -> dict[str, str]:
        """The server process's environment: this process's, unless a server adds to it."""
        return dict(os.environ)

    # -- ports -----------------------------------------------------------------------
    def ports(self) -> dict[str, int]:
        if self._ports_path.exists():
            stored: dict[str, int] = json.loads(self._ports_path.read_text())
            return stored
        ports = {}
        for port_name in self.port_names:
            configured = os.environ.get(port_name)
            ports[port_name] = int(configured) if configured else free_port()
        self.home.mkdir(parents=True, exist_ok=True)
        self._ports_path.write_text(json.dumps(ports))
        return ports

    # -- process ---------------------------------------------------------------------
    def pid(self) -> int | None:
        if not self._pid_path.exists():
            return None
        pid = int(self._pid_path.read_text())
        # A child of this process that exited stays a zombie until reaped; a server
        # started by another process is reaped by that process.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def answering(self) -> bool:
        try:
            return self.probe()
        except OSError:
            return False

    def start(self) -> None:
        if self.pid() is not None and self.answering():
            return
        if not self.installed():
            self.install()
        self.home.mkdir(parents=True, exist_ok=True)
        self.prepare()
        with self.log_path.open("a") as log:
            process = subprocess.Popen(
                self.command(),
                env=self.process_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._process = process
        self._pid_path.write_text(str(process.pid))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise InfraError(
                    f"{self.name} exited with code {process.returncode}:\n{tail(self.log_path)}"
                )
            if self.answering():
                return
            time.sleep(0.2)
        self.stop()
        raise InfraError(
            f"{self.name} did not answer within {self.start_timeout_s:.0f}s:\n{tail(self.log_path)}"
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop gracefully (``stop_signal``); SIGKILL only when the deadline passes."""
        self._end(self.stop_signal, timeout_s)

    def kill(self) -> None:
        """Crash the server (SIGKILL), as a fault test would."""
        self._end(signal.SIGKILL, timeout_s=10.0)

    def _end(self, sig: signal.Signals, timeout_s: float) -> None:
        pid = self.pid()
        if pid is not None:
            self._signal(pid, sig)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.pid() is not None:
                time.sleep(0.1)
            if self.pid() is not None:
                self._signal(pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait(timeout=10)
            self._process = None
        self._pid_path.unlink(missing_ok=True)

    @staticmethod
    def _signal(pid: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
