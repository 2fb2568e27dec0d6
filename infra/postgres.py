"""PostgreSQL, as FerretDB's other backend (``FERRETDB_BACKEND=postgresql``).

FerretDB's SQLite backend serialises writes; on PostgreSQL the order write pattern
runs several times faster, which the benchmark uses. Debian's ``postgresql``
package provides the server; it runs as the ``postgres`` user, since PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from infra.server import HOST, InfraError, ManagedServer, run_logged

_BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
_USER = "postgres"


def _let_through(folder: Path) -> None:
    """Let the ``postgres`` user reach its folder below ``folder`` (a private temporary
    folder of root's, say): search permission on every ancestor, nothing more."""
    for ancestor in (folder, *folder.parents):
        mode = ancestor.stat().st_mode
        if not mode & 0o001:
            ancestor.chmod(mode | 0o001)


class Postgres(ManagedServer):
    name = "postgres"
    port_names = ("POSTGRES_PORT",)
    start_timeout_s = 30.0
    # Fast shutdown: ends the sessions, then checkpoints. SIGTERM (smart) waits for
    # every client to leave, and ``runuser`` kills the server 2 s after forwarding it.
    stop_signal = signal.SIGINT

    def installed(self) -> bool:
        return (_BIN / "postgres").exists()

    def install(self) -> None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            raise InfraError(
                "PostgreSQL is missing: install Debian's package 'postgresql' "
                f"(server binaries expected in {_BIN}, or set POSTGRES_BIN)"
            )
        run_logged(
            ["apt-get", "install", "-y", "-q", "postgresql"],
            self.cache_dir / "postgres-install.log",
            "installing PostgreSQL with apt-get",
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )

    def version(self) -> str:
        return f"PostgreSQL {_BIN.parent.name}"

    def _as_postgres(self, *command: str) -> list[str]:
        return ["runuser", "-u", _USER, "--", *command] if os.geteuid() == 0 else list(command)

    def prepare(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            _let_through(self.home.parent)
            shutil.chown(self.home, _USER)
            shutil.chown(self.data_dir, _USER)
        run_logged(
            self._as_postgres(
                str(_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "-A",
                "trust",
                "-U",
                _USER,
                "--no-sync",
            ),
            self.home / "initdb.log",
            "initialising PostgreSQL",
        )

    def command(self) -> list[str]:
        return self._as_postgres(
            str(_BIN / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            HOST,
            "-p",
            str(self.ports()["POSTGRES_PORT"]),
            "-k",
            str(self.home),
            "-c",
            "max_connections=200",
        )

    def probe(self) -> bool:
        port = str(self.ports()["POSTGRES_PORT"])
        ready = subprocess.run(
            [str(_BIN / "pg_isready"), "-h", HOST, "-p", port, "-d", "postgres", "-U", _USER],
            capture_output=True,
            check=False,
        )
        return ready.returncode == 0

    def run_sql(self, sql: str, what: str) -> str:
        """Run ``sql`` in the database FerretDB stores in, stopping at the first error;
        what it printed (rows unaligned, a line each)."""
        result = subprocess.run(
            self._as_postgres(
                str(_BIN / "psql"), self.url(), "-v", "ON_ERROR_STOP=1", "-q", "-At", "-f", "-"
            ),
            input=sql,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InfraError(f"{what} failed (exit {result.returncode}):\n{result.stderr}")
        return result.stdout

    def url(self) -> str:
        return f"postgres://{_USER}@{HOST}:{self.ports()['POSTGRES_PORT']}/postgres"

    def env(self) -> dict[str, str]:
        return {}
