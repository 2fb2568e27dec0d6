"""The orchestrator's own services run as real processes (``python app.py MODE``), for
the benchmark and for tests that need several workers or must kill one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from config.event_loop import to_completion
from infra.server import free_port

ROOT = Path(__file__).resolve().parents[1]


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, *, descendants: bool = False) -> float:
    """User plus system CPU time the process has used so far (Linux /proc); with
    ``descendants``, that of the live processes below it too (PostgreSQL's backends,
    under the postmaster, under ``runuser`` when run as root)."""
    tree = descendants_of(pid) if descendants else [pid]
    total = 0
    for each in tree:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # it just ended
            fields = stat_fields(each)
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def descendants_of(pid: int) -> list[int]:
    """``pid`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = int(entry.name)
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                children.setdefault(int(stat_fields(child)[1]), []).append(child)
    tree, pending = [], [pid]
    while pending:
        tree.append(current := pending.pop())
        pending += children.get(current, [])
    return tree


@dataclass
class ServiceProcess:
    mode: str
    url: str
    process: asyncio.subprocess.Process
    log: Path

    async def ready(self, path: str = "/health/ready", deadline: float = 60) -> None:
        """Wait until ``path`` answers 200; fail early if the process exits."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        async with aiohttp.ClientSession() as session:
            while loop.time() < end:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"{self.mode} exited {self.process.returncode}:\n{self.tail()}"
                    )
                try:
                    async with session.get(self.url + path) as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)  # polling readiness until the deadline
        raise TimeoutError(f"{self.mode} not ready after {deadline}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    async def kill(self) -> int:
        """Crash the service (SIGKILL): nothing finishes, nothing is committed."""
        return await self.stop(signal.SIGKILL)

    async def stop(self, sig: signal.Signals = signal.SIGTERM, deadline: float = 30) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
            try:
                await asyncio.wait_for(self.process.wait(), deadline)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0


class ServiceStarter:
    def __init__(self, log_dir: Path, inherit: bool) -> None:
        self.log_dir = log_dir
        self.inherit = inherit
        self.started: list[ServiceProcess] = []

    async def start(self, mode: str, env: Mapping[str, str]) -> ServiceProcess:
        port = free_port()
        log = self.log_dir / f"{mode}-{len(self.started)}.log"
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "app.py",
                mode,
                cwd=ROOT,
                env={**(os.environ if self.inherit else {}), **env, "HTTP_PORT": str(port)},
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        service = ServiceProcess(mode, f"http://127.0.0.1:{port}", process, log)
        self.started.append(service)
        return service


@contextlib.asynccontextmanager
async def service_processes(log_dir: Path, inherit: bool = True) -> AsyncIterator[ServiceStarter]:
    """Start services; stop them all on the way out, the last started first, even when
    the way out is a cancellation (a signal). ``inherit=False``: the given environment
    replaces this process's instead of adding to it."""
    starter = ServiceStarter(log_dir, inherit)

    async def stop_all() -> None:
        for service in reversed(starter.started):
            await service.stop()

    try:
        yield starter
    finally:
        await to_completion(stop_all())
