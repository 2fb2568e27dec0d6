"""The ``kafka:`` component: where the brokers are, and the producer its endpoints share.

``KafkaComponent(bootstrap_servers)`` names the brokers; without them it reads
``KAFKA_BOOTSTRAP_SERVERS`` when an endpoint starts, so the registry's default
instance works in a configured process and fails clearly in one that is not.
``app_id`` is the Kafka client id and the consumer group of URIs without ``groupId``.
"""

from __future__ import annotations

import os

from components.kafka.endpoint import KafkaEndpoint
from components.kafka.options import TOPIC_NAME, KafkaOptions
from components.kafka.producer import SharedProducer
from endpoints.base import Endpoint
from endpoints.component import Component
from endpoints.errors import EndpointError

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"


class KafkaComponent(Component[KafkaOptions]):
    options_model = KafkaOptions

    def __init__(self, bootstrap_servers: str | None = None, app_id: str = "orchestrator") -> None:
        self.bootstrap_servers = bootstrap_servers
        self.app_id = app_id
        self.producer = SharedProducer(app_id)

    def require_bootstrap(self, uri: str) -> str:
        """The brokers to connect to; raises EndpointError naming ``uri`` when unknown."""
        servers = self.bootstrap_servers or os.environ.get(BOOTSTRAP_ENV)
        if not servers:
            raise EndpointError(
                uri,
                "no Kafka brokers: give KafkaComponent(bootstrap_servers=...) "
                f"or set {BOOTSTRAP_ENV}",
            )
        return servers

    def make_endpoint(self, uri: str, path: str, options: KafkaOptions) -> Endpoint:
        if not TOPIC_NAME.fullmatch(path):
            raise EndpointError(
                uri,
                "kafka: needs a topic name of letters, digits, '.', '_' or '-', e.g. kafka:orders",
            )
        return KafkaEndpoint(uri, path, options, self)

    async def ping(self, within: float = 2.0) -> None:
        """Raise KafkaUnavailable unless a broker answers within ``within`` seconds."""
        await self.producer.ping(self.require_bootstrap("kafka:"), within)

    async def stop(self) -> None:
        await self.producer.stop()
