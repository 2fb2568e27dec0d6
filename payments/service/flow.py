"""The payment flow a service runs: the route files of ``ROUTES_DIR`` (``config/routes``)
in Camel 4's YAML, bound to the lifecycle's processors by name (``beans``), checked for
the flow's promises before anything starts (``safety``).

Each service loads its folders, then the files at the folder's top, which every service
runs: ``ingest/`` the API and the lifecycle up to the execution command, ``process/``
the execution, ``reconcile/`` the reconciliation with the bank (when
``RECONCILE_PERIOD`` is set). Where commands and events travel is a ``Topology`` of
endpoint URIs, which the files read as placeholders (``{{payment.commands}}`` …):
Kafka topics with real servers, ``seda:`` queues when embedded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from payments.contracts.asyncapi import Action, TopicUse
from payments.domain.topics import TopicNames
from routes.dsl import RouteBuilder
from routes.walk import targets, walk
from routes.yaml import RouteConfigError, load_route_directory, route_files

# The ids of the routes that others look up (readiness, the console).
EXECUTE_ROUTE = "execute-payment-order"

# The group commit of every store write: up to this many orders in one call, none of
# them waiting more than this for the others ({{payment.batch.size}}, …timeout}}).
BATCH_SIZE = 256
BATCH_TIMEOUT = "5ms"

# A worker takes what Kafka fetched (what arrives within POLL_TIMEOUT more) as one
# batch, and works on up to BATCHES_IN_FLIGHT at once: a batch holds its place until
# its last event is marked, so a few in flight keep a trickle of orders from queueing.
POLL_TIMEOUT = 0.002
BATCHES_IN_FLIGHT = 4


@dataclass(frozen=True)
class Topology:
    commands: str  # where the execution command is sent
    commands_in: str  # where the processor reads it
    dead_letter: str
    executed: str
    failed: str
    cancelled: str
    gateway: str

    @property
    def durable(self) -> bool:
        """Whether a command sent stays sent when this process ends (not a seda: queue)."""
        return not self.commands.startswith("seda:")

    @classmethod
    def kafka(cls, topics: TopicNames, gateway: str, group_id: str, concurrency: int) -> Topology:
        return cls(
            commands=f"kafka:{topics.execute}",
            commands_in=(
                f"kafka:{topics.execute}?groupId={group_id}&batching=true"
                f"&maxPollRecords={concurrency}&pollTimeout={POLL_TIMEOUT}"
                f"&concurrency={BATCHES_IN_FLIGHT}&valueFormat=bytes"
            ),
            dead_letter=f"kafka:{topics.dead_letter}",
            executed=f"kafka:{topics.executed}",
            failed=f"kafka:{topics.failed}",
            cancelled=f"kafka:{topics.cancelled}",
            gateway=gateway,
        )

    @classmethod
    def embedded(cls, gateway: str, concurrency: int) -> Topology:
        topics = TopicNames()
        return cls(
            commands=f"seda:{topics.execute}?size=10000",
            commands_in=f"seda:{topics.execute}?concurrentConsumers={concurrency}",
            dead_letter=f"log:{topics.dead_letter}?level=WARN&showHeaders=true",
            executed=f"log:{topics.executed}?level=DEBUG",
            failed=f"log:{topics.failed}?level=INFO",
            cancelled=f"log:{topics.cancelled}?level=INFO",
            gateway=gateway,
        )

    def properties(self) -> dict[str, str]:
        """What the route files read of it, and of the group commit."""
        return {
            "payment.commands": self.commands,
            "payment.commands.consumer": self.commands_in,
            "payment.commands.durable": str(self.durable).lower(),
            "payment.commands.inProcess": str(not self.durable).lower(),
            "payment.deadLetter": self.dead_letter,
            "payment.executed": self.executed,
            "payment.failed": self.failed,
            "payment.cancelled": self.cancelled,
            "payment.gateway": self.gateway,
            "payment.batch.size": str(BATCH_SIZE),
            "payment.batch.timeout": BATCH_TIMEOUT,
        }


def load_flow(
    routes_dir: Path, folders: list[str], builder: RouteBuilder, properties: dict[str, str]
) -> None:
    """Each of ``folders`` of ``routes_dir``, then its top: RouteConfigError when a
    folder the service runs is missing or empty, or a file is wrong."""
    for name in folders:
        folder = routes_dir / name
        if not route_files(folder):
            raise RouteConfigError(
                f"{folder}: no route files; the service runs the routes of {name}/ "
                f"(copy them from config/routes/{name}/)"
            )
        load_route_directory(folder, builder, properties=properties)
    load_route_directory(routes_dir, builder, properties=properties)


# The service each folder of the flow is run by, as the AsyncAPI document tags it.
_SERVICES = {"ingest": "ingestion", "reconcile": "ingestion", "process": "processor"}


def topic_uses(builder: RouteBuilder, prefix: str) -> list[TopicUse]:
    """The Kafka topics the loaded routes receive from and send to (their steps, their
    onException steps, their dead-letter channels), without the topic prefix: what the
    AsyncAPI document of this flow, as edited, describes."""
    configurations = {c.id: c for c in builder.route_configurations}
    uses: list[TopicUse] = []
    for route in builder.routes:
        if route.route_configuration_ids:  # those it names, as the engine takes them
            ids = route.route_configuration_ids  # one unknown is the engine's to report
            named = [configurations[i] for i in ids if i in configurations]
            policies = [p for c in named for p in c.on_exceptions]
            handlers = [route.error_handler, *(c.error_handler for c in named)]
        else:  # those for every route that names none
            policies = builder.on_exceptions
            handlers = [route.error_handler, builder.default_error_handler]
        found: list[tuple[Action, str]] = [("receive", route.from_uri)]
        for steps in (route.steps, *(policy.steps for policy in policies)):
            found += [("send", uri) for p in walk(route, steps) for uri in targets(p.step)]
        found += [("send", h.dead_letter_uri) for h in handlers if h and h.dead_letter_uri]
        service = _SERVICES.get(Path(route.source).parent.name, "every service")
        for action, uri in found:
            scheme, _, address = uri.partition("?")[0].partition(":")
            if scheme == "kafka":
                topic = address.removeprefix(prefix)
                uses.append(TopicUse(topic, action, route.route_id or route.from_uri, service))
    return uses
