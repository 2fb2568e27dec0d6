"""The real servers the project runs on: installed, started and stopped by its own code.

``python -m infra up`` (or ``scripts/infra.sh up``) installs Apache Kafka and FerretDB
into a cache outside the repository on first use, starts both on 127.0.0.1 and prints
the settings that point the orchestrator and the tests at them.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.ferretdb import FerretDB
from infra.kafka import Kafka
from infra.postgres import Postgres
from infra.server import InfraError, ManagedServer

__all__ = ["InfraError", "ManagedServer", "Stack", "cache_dir"]


def cache_dir() -> Path:
    """Where installs are kept: ``PAYORCH_CACHE_DIR``, else ``payorch`` in the user's cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("PAYORCH_CACHE_DIR", str(Path(base) / "payorch")))


class Stack:
    """Kafka and FerretDB sharing one cache (installs) and one state folder (data, logs).
    FerretDB's backend is ``backend``, else ``FERRETDB_BACKEND``, else SQLite."""

    def __init__(self, state_dir: Path | None = None, backend: str | None = None) -> None:
        cache = cache_dir()
        state = state_dir or Path(os.environ.get("PAYORCH_STATE_DIR", str(cache / "state")))
        self.kafka = Kafka(cache, state)
        backend = backend or os.environ.get("FERRETDB_BACKEND", "sqlite")
        if backend not in ("sqlite", "postgresql"):
            raise InfraError(f"FERRETDB_BACKEND must be sqlite or postgresql, not {backend!r}")
        self.postgres = Postgres(cache, state) if backend == "postgresql" else None
        self.ferretdb = FerretDB(cache, state, self.postgres)
        self.servers: tuple[ManagedServer, ...] = (
            self.kafka,
            *([self.postgres] if self.postgres else []),
            self.ferretdb,
        )
        # What ``down`` stops: a PostgreSQL of this state folder too, whichever backend
        # this stack was made for, so one started with FERRETDB_BACKEND=postgresql is
        # not left running by a ``down`` without it.
        self._stoppable = (*self.servers, *([] if self.postgres else [Postgres(cache, state)]))

    def install(self) -> None:
        for server in self.servers:
            if not server.installed():
                server.install()

    def up(self) -> None:
        for server in self.servers:
            server.start()

    def down(self) -> None:
        """Clients first: FerretDB before the PostgreSQL it holds sessions in."""
        for server in reversed(self._stoppable):
            server.stop()

    def env(self) -> dict[str, str]:
        settings: dict[str, str] = {}
        for server in self.servers:
            settings.update(server.env())
        return settings
