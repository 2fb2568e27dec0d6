"""``kafka:<topic>?groupId=...&concurrency=...`` — records sent with every replica's
acknowledgement, and consumed at least once by a Faust agent run in this process."""

from components.kafka.component import KafkaComponent
from components.kafka.options import KafkaOptions
from components.kafka.producer import KafkaUnavailable

__all__ = ["KafkaComponent", "KafkaOptions", "KafkaUnavailable"]
