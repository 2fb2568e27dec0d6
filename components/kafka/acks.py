"""Acknowledging each partition's records in offset order, and only the handled ones.

Faust commits, per partition, the run of consecutive acked offsets after the
committed one. Its check that the run really starts there is off by one
(faust-streaming/faust#606; the fix, PR #707, is not in 0.15.3): with agent
concurrency above one, a record still being handled (or failing) right after the
committed offset is committed over as soon as a later record is acked, and is
lost at the next restart. Acking in offset order, and never acking a record the
route failed, keeps every acked run starting at the committed offset, so Faust
commits only offsets whose record, and every record before it, was handled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from faust.types import TP, EventT


@dataclass
class _Pending:
    event: EventT[bytes]
    handled: bool = False


class InOrderAcks:
    def __init__(self) -> None:
        # Per partition, offset -> pending event, in the order taken (offset order).
        self._partitions: dict[TP, dict[int, _Pending]] = {}

    def taken(self, event: EventT[bytes]) -> None:
        """Call as soon as an actor takes ``event``, before anything awaits: the actors
        share one queue filled in offset order, so they register in offset order too."""
        message = event.message
        self._partitions.setdefault(message.tp, {})[message.offset] = _Pending(event)

    def holds(self, event: EventT[bytes]) -> bool:
        """False once the event's partition was revoked (or taken again after a rebalance)."""
        message = event.message
        pending = self._partitions.get(message.tp, {}).get(message.offset)
        return pending is not None and pending.event is event

    def handled(self, event: EventT[bytes]) -> None:
        """Mark ``event`` handled and ack the handled events at the head of its partition.

        Synchronous on purpose: no commit can run between two of these acks.
        """
        if not self.holds(event):
            return
        partition = self._partitions[event.message.tp]
        partition[event.message.offset].handled = True
        while partition:
            offset, head = next(iter(partition.items()))
            if not head.handled:
                return
            del partition[offset]
            head.event.ack()

    def forget(self, partitions: Iterable[TP]) -> None:
        """The partitions went to another worker (or will be read again): drop their events."""
        for tp in partitions:
            self._partitions.pop(tp, None)
