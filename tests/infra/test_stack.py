"""The project's own servers: ``down`` stops what a state folder runs."""

from __future__ import annotations

from pathlib import Path

from infra import Stack
from infra.postgres import Postgres


def test_down_stops_a_postgresql_that_another_backend_setting_started(tmp_path: Path) -> None:
    with_postgres = Stack(tmp_path, backend="postgresql")
    postgres = with_postgres.postgres
    assert isinstance(postgres, Postgres)
    postgres.start()
    try:
        assert postgres.pid() is not None
        Stack(tmp_path, backend="sqlite").down()  # as `scripts/infra.sh down` without it
        assert postgres.pid() is None
    finally:
        postgres.stop()


def test_down_shuts_postgresql_down_cleanly_under_ferretdb(tmp_path: Path) -> None:
    """FerretDB first, then a fast shutdown: PostgreSQL checkpoints and says so, where
    it used to wait for FerretDB's sessions until killed (and recovered at each start)."""
    stack = Stack(tmp_path, backend="postgresql")
    postgres = stack.postgres
    assert isinstance(postgres, Postgres)
    postgres.start()
    stack.ferretdb.start()
    try:
        stack.down()  # Kafka was never started: its stop does nothing

        assert (postgres.pid(), stack.ferretdb.pid()) == (None, None)
        assert "database system is shut down" in postgres.log_path.read_text()
    finally:
        stack.down()
