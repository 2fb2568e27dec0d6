"""Fault tests run on a Kafka and a FerretDB of this package's own, which they stop and
restart: ``kafka_bootstrap`` and ``mongo_uri`` are overridden here, so no other test
ever sees one of these faults and the session's servers are never touched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from infra import Stack
from infra.services import service_processes
from tests.faults.harness import Deploy, deployer
from tests.faults.summary import REPORTS
from tests.payments.conftest import StartService, client, start_service, tenant

__all__ = ["client", "start_service", "tenant"]  # fixtures shared with tests/payments


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: stops, kills or floods real servers")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if REPORTS:
        terminalreporter.write_sep("-", "fault scenarios")
        for result in REPORTS:
            terminalreporter.write_line(result.line())


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Kafka and FerretDB in a state folder of their own, so on ports of their own.
    FerretDB runs on PostgreSQL here: on SQLite it settles about 8 orders a second on
    two cores, too few for runs of thousands of orders in CI's time."""
    servers = Stack(tmp_path_factory.mktemp("fault-servers"), backend="postgresql")
    try:
        servers.up()
        yield servers
    finally:
        servers.down()


@pytest.fixture(autouse=True)
async def servers_up(stack: Stack) -> None:
    """A test that failed mid-fault may have left a server stopped: start it again."""
    await asyncio.to_thread(stack.up)


@pytest.fixture(scope="package")
def kafka_bootstrap(stack: Stack) -> str:
    return stack.env()["KAFKA_BOOTSTRAP_SERVERS"]


@pytest.fixture(scope="package")
def mongo_uri(stack: Stack) -> str:
    return stack.env()["MONGO_URI"]


@pytest.fixture
async def deploy(
    start_service: StartService, kafka_bootstrap: str, mongo_uri: str, tenant: str, tmp_path: Path
) -> AsyncIterator[Deploy]:
    async with service_processes(tmp_path) as processes:
        yield deployer(processes, start_service, kafka_bootstrap, mongo_uri, tenant)
