"""``kafka:<topic>``: one topic, sent to by a shared producer or consumed by a Faust app.

Starting the endpoint checks that the topic exists: topics are created explicitly
with their partition counts, and a consumer subscribed to a missing topic would
otherwise wait for records that never come.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiokafka.admin import AIOKafkaAdminClient

from components.kafka.consumer import KafkaConsumer
from components.kafka.options import KafkaOptions
from components.kafka.producer import REQUEST_TIMEOUT_MS, KafkaProducer
from components.kafka.topics import missing_topics
from endpoints.base import Consumer, Endpoint, Producer, RouteHandler
from endpoints.errors import EndpointError

if TYPE_CHECKING:
    from components.kafka.component import KafkaComponent


class KafkaEndpoint(Endpoint):
    def __init__(
        self, uri: str, topic: str, options: KafkaOptions, component: KafkaComponent
    ) -> None:
        super().__init__(uri)
        self.topic = topic
        self.options = options
        self.component = component

    @property
    def group_id(self) -> str:
        return self.options.group_id or self.component.app_id

    def create_producer(self) -> Producer:
        return KafkaProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        return KafkaConsumer(self, handler)

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.component.require_bootstrap(self.uri),
            client_id=self.component.app_id,
            request_timeout_ms=REQUEST_TIMEOUT_MS,
        )
        await admin.start()
        try:
            missing = await missing_topics(admin, [self.topic])
        finally:
            await admin.close()
        if missing:
            raise EndpointError(
                self.uri, f"topic {self.topic!r} does not exist (create it with its partitions)"
            )
