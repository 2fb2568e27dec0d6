"""Options of ``kafka:<topic>?groupId=...&concurrency=...``.

One model for both directions, as a URI can be sent to and consumed from; the
producer reads none of them (it always waits for every in-sync replica).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from endpoints.component import EndpointOptions
from endpoints.redelivery_policy import RedeliveryPolicy

ValueFormat = Literal["json", "text", "bytes"]

# Kafka's own rule for topic names.
TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


class KafkaOptions(EndpointOptions):
    # The consumer group; none means the component's app id.
    group_id: str | None = Field(default=None, min_length=1)
    # Records of one worker handled at the same time (Faust agent concurrency); with
    # ``batching``, batches handled at the same time.
    concurrency: int = Field(default=1, ge=1, le=100)
    # Camel's batch consumer: records are taken up to ``maxPollRecords`` at a time (what
    # arrived within ``pollTimeout`` seconds), each handed to the route as its own
    # exchange, all of a batch at once; the batch is acknowledged, and its offsets
    # committed, once every record in it is done.
    batching: bool = False
    max_poll_records: int = Field(default=100, ge=1, le=10_000)
    poll_timeout: float = Field(default=0.005, gt=0)
    # Where a group with no committed offset starts: earliest so that a new group
    # does not skip commands sent before it first ran.
    auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    # How a consumed record's value becomes the exchange body.
    value_format: ValueFormat = "json"
    # Seconds before a failed record is handed to the route again, doubling up to the maximum.
    redelivery_delay: float = Field(default=0.5, ge=0)
    maximum_redelivery_delay: float = Field(default=30.0, ge=0)

    def redelivery_policy(self) -> RedeliveryPolicy:
        return RedeliveryPolicy(
            redelivery_delay=self.redelivery_delay,
            use_exponential_backoff=True,
            maximum_redelivery_delay=self.maximum_redelivery_delay,
        )
