"""Where the test suite finds its real Kafka and MongoDB-wire servers.

In order: servers named by ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGO_URI``; containers
(``apache/kafka``, ``mongo:7``) when ``USE_TESTCONTAINERS=1`` and a Docker engine
runs; otherwise the project's own Kafka and FerretDB (see ``infra``), started in a
fresh state folder for this session and stopped at its end.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from infra import Stack


@dataclass(frozen=True)
class Servers:
    kafka_bootstrap: str
    mongo_uri: str
    stack: Stack | None  # set when this session runs its own servers (fault tests use it)


@contextlib.contextmanager
def provide_servers(state_dir: Path) -> Iterator[Servers]:
    bootstrap, mongo_uri = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGO_URI")
    if bootstrap and mongo_uri:
        yield Servers(bootstrap, mongo_uri, None)
    elif os.environ.get("USE_TESTCONTAINERS") == "1":
        with _containers() as servers:
            yield servers
    else:
        stack = Stack(state_dir)
        stack.up()
        try:
            env = stack.env()
            yield Servers(env["KAFKA_BOOTSTRAP_SERVERS"], env["MONGO_URI"], stack)
        finally:
            stack.down()


@contextlib.contextmanager
def _containers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with (
        KafkaContainer("apache/kafka:4.0.0").with_kraft() as kafka,
        MongoDbContainer("mongo:7") as mongo,
    ):
        yield Servers(kafka.get_bootstrap_server(), mongo.get_connection_url(), None)
