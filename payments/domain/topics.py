"""The Kafka topics of the payment flow by name, and the processors' consumer group: a
prefix keeps tenants (or test runs) apart on one cluster. ``payments.service.topics``
creates them."""

from __future__ import annotations

from dataclasses import dataclass

# The consumer group of the processor workers (prefixed like the topics).
PROCESSOR_GROUP = "payment-processor"


@dataclass(frozen=True)
class TopicNames:
    """The payment topics; a prefix keeps tenants (or test runs) apart on one cluster."""

    prefix: str = ""

    @property
    def execute(self) -> str:
        return f"{self.prefix}payment.execute"

    @property
    def dead_letter(self) -> str:
        return f"{self.execute}.DLT"

    @property
    def executed(self) -> str:
        return f"{self.prefix}payment.executed"

    @property
    def failed(self) -> str:
        return f"{self.prefix}payment.failed"

    @property
    def cancelled(self) -> str:
        return f"{self.prefix}payment.cancelled"
