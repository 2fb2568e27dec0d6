"""The operators' dead letters: what is on ``payment.execute.DLT``, and sending chosen
records back to ``payment.execute``.

``python app.py dead-letters list``, ``show OFFSET`` and ``redrive OFFSET…`` (or
``--all``, or those failed within ``--since``/``--until``). Re-driving is safe by
construction: a command whose order is terminal is skipped here; one whose payment
was claimed before makes the worker read its order first and pay only an order still
EXECUTING, and the bank honours the order id as idempotency key; a record that still
cannot be read goes back to the DLT with its reason, from the worker. Each record
sent again carries ``x-redriven-at`` and ``x-redriven-from-offset``; the failure
headers of its dead-lettering are dropped, so
a new failure gets fresh ones.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import ConsumerRecord

from config.settings import Settings
from endpoints import headers
from endpoints.uri import mask_credentials
from payments.domain.store import OrderStore, StoreUnavailable
from payments.domain.topics import TopicNames
from payments.lifecycle.execution import PoisonCommand, read_command
from payments.operations.window import ALWAYS, Window, instant
from payments.stores import MongoOrderStore

REDRIVEN_AT = "x-redriven-at"
REDRIVEN_FROM_OFFSET = "x-redriven-from-offset"
# Set by the dead-letter channel; a record sent again must not carry them.
_FAILURE_HEADERS = frozenset(
    {
        headers.EXCEPTION_TYPE,
        headers.EXCEPTION_MESSAGE,
        headers.ATTEMPTS,
        headers.FAILURE_ROUTE_ID,
        headers.FAILED_AT,
    }
)


async def latest_dead_letters(bootstrap_servers: str, topic: str, last: int) -> list[DeadLetter]:
    """The ``last`` records of the topic, newest first (for the console)."""
    found = [letter async for letter in dead_letters(bootstrap_servers, topic, last)]
    return found[::-1]


class NoDeadLetters(Exception):
    """Nothing to read or re-drive: said in one line, exit status 2."""


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: str | None
    headers: dict[str, str]
    value: bytes
    timestamp: datetime

    @property
    def failed_at(self) -> str:
        return self.headers.get(headers.FAILED_AT, self.timestamp.isoformat())

    @property
    def failed_time(self) -> datetime:
        """When it failed: its header, or the record's time where that is none."""
        try:
            return instant(self.failed_at)
        except ValueError:
            return self.timestamp

    def line(self) -> str:
        reason = f"{self.headers.get(headers.EXCEPTION_TYPE, '?')}: "
        reason += self.headers.get(headers.EXCEPTION_MESSAGE, "")
        return f"{self.offset}\t{self.key or '-'}\t{self.failed_at}\t{reason}"

    def summary(self) -> dict[str, object]:
        """What the console lists of it."""
        return {
            "offset": self.offset,
            "key": self.key,
            "failedAt": self.failed_at,
            "exceptionType": self.headers.get(headers.EXCEPTION_TYPE),
            "exceptionMessage": self.headers.get(headers.EXCEPTION_MESSAGE),
            "redrivenFromOffset": self.headers.get(REDRIVEN_FROM_OFFSET),
        }

    def document(self) -> dict[str, object]:
        """The whole record, for ``show``: the value as text where it is UTF-8."""
        try:
            value: object = self.value.decode()
        except UnicodeDecodeError:
            value = self.value.hex()
        return {
            "offset": self.offset,
            "key": self.key,
            "timestamp": self.timestamp.isoformat(),
            "headers": self.headers,
            "value": value,
        }


async def dead_letters(
    bootstrap_servers: str, topic: str, last: int | None = None
) -> AsyncIterator[DeadLetter]:
    """The topic's records from its first (or the ``last`` few) to the last one there
    when called, in offset order, read without a consumer group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    try:
        await consumer.start()
        if topic not in await consumer.topics():
            raise NoDeadLetters(f"no topic {topic}")
        assigned = [TopicPartition(topic, 0)]  # the DLT's one partition (payments.domain.topics)
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        if last is not None:
            firsts = await consumer.beginning_offsets(assigned)
            for partition in assigned:
                consumer.seek(partition, max(firsts[partition], ends[partition] - last))
        for partition in assigned:
            while await consumer.position(partition) < ends[partition]:
                batch = await consumer.getmany(partition, timeout_ms=1000)
                for record in batch.get(partition, []):
                    if record.offset < ends[partition]:
                        yield _letter(record)
    finally:
        await consumer.stop()


def _letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    """The record as operators read it: credentials masked, also in a record written
    before the dead-letter channel masked them."""
    return DeadLetter(
        offset=record.offset,
        key=record.key.decode(errors="replace") if record.key is not None else None,
        headers={
            name: mask_credentials(value.decode(errors="replace")) for name, value in record.headers
        },
        value=record.value or b"",
        timestamp=datetime.fromtimestamp(record.timestamp / 1000, UTC),
    )


@dataclass(frozen=True)
class Redriven:
    offset: int
    outcome: str  # "sent", or why not


async def redrive(
    settings: Settings, chosen: Collection[int] | None, window: Window = ALWAYS
) -> list[Redriven]:
    """Send the letters at ``chosen`` offsets (None: every one failed within
    ``window``) back to the commands topic, skipping those whose order is terminal."""
    servers = _servers(settings)
    topics = TopicNames(settings.kafka_topic_prefix)
    store = _store(settings)
    producer = AIOKafkaProducer(bootstrap_servers=servers, enable_idempotence=True)
    done: list[Redriven] = []
    try:
        await store.start()
        await producer.start()
        async for letter in dead_letters(servers, topics.dead_letter):
            if not _chosen(letter, chosen, window):
                continue
            why_not = await _skipped(store, letter)
            if why_not is None:
                await producer.send_and_wait(
                    topics.execute,
                    letter.value,
                    key=letter.key.encode() if letter.key is not None else None,
                    headers=_headers_again(letter),
                )
            done.append(Redriven(letter.offset, why_not or "sent"))
    finally:
        await producer.stop()
        await store.stop()
    missing = set(chosen or ()) - {item.offset for item in done}
    return done + [Redriven(offset, "no such dead letter") for offset in sorted(missing)]


def _chosen(letter: DeadLetter, chosen: Collection[int] | None, window: Window) -> bool:
    if chosen is not None:
        return letter.offset in chosen
    return letter.failed_time in window


async def _skipped(store: OrderStore, letter: DeadLetter) -> str | None:
    """Why the letter is not sent again, or None. An unreadable one is sent: the worker
    puts it back on the DLT with its reason."""
    try:
        order_id = read_command(letter.value).order_id
    except PoisonCommand:
        return None
    order = await store.get(order_id)
    if order is not None and order.status.terminal:
        return f"skipped: order {order_id} is {order.status.value}"
    return None


def _headers_again(letter: DeadLetter) -> list[tuple[str, bytes]]:
    kept = [
        (name, value.encode())
        for name, value in letter.headers.items()
        if name not in _FAILURE_HEADERS and name not in (REDRIVEN_AT, REDRIVEN_FROM_OFFSET)
    ]
    return [
        *kept,
        (REDRIVEN_AT, datetime.now(UTC).isoformat().encode()),
        (REDRIVEN_FROM_OFFSET, str(letter.offset).encode()),
    ]


def _servers(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise NoDeadLetters(
            "the embedded default keeps no dead letters to read: its dead-letter queue is "
            "in-process and ends with the process (set KAFKA_BOOTSTRAP_SERVERS)"
        )
    return settings.kafka_bootstrap_servers


def _store(settings: Settings) -> OrderStore:
    if not settings.mongo_uri:
        raise NoDeadLetters("re-driving reads the orders: set MONGO_URI")
    return MongoOrderStore(settings.mongo_uri, database=settings.mongo_database)


async def run(settings: Settings, argv: Sequence[str]) -> int:
    """``app.py dead-letters …``: 0 done, 2 when it could not run (one line on stderr)."""
    args = _parser().parse_args(argv)
    try:
        if args.action == "redrive":
            window = Window.of(args)
            if not args.offsets and not args.all and window == ALWAYS:
                raise NoDeadLetters("redrive: name the offsets, or --all, --since or --until")
            chosen = set(args.offsets) if args.offsets else None
            for item in await redrive(settings, chosen, window):
                print(f"{item.offset}\t{item.outcome}")
            return 0
        topic = TopicNames(settings.kafka_topic_prefix).dead_letter
        async for letter in dead_letters(_servers(settings), topic):
            if args.action == "list":
                print(letter.line())
            elif letter.offset == args.offset:
                print(json.dumps(letter.document(), indent=2))
                return 0
        if args.action == "show":
            raise NoDeadLetters(f"no dead letter at offset {args.offset}")
        return 0
    except KafkaConnectionError:
        servers = settings.kafka_bootstrap_servers
        print(
            f"app.py dead-letters: KAFKA_BOOTSTRAP_SERVERS={servers}: no broker answered",
            file=sys.stderr,
        )
        return 2
    except (NoDeadLetters, StoreUnavailable) as error:
        print(f"app.py dead-letters: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="app.py dead-letters", description=__doc__)
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="one line a record: offset, key, failed at, reason")
    show = actions.add_parser("show", help="one record whole, as JSON")
    show.add_argument("offset", type=int)
    again = actions.add_parser("redrive", help="send records back to payment.execute")
    again.add_argument("offsets", type=int, nargs="*")
    again.add_argument("--all", action="store_true", help="every record")
    Window.add_arguments(again, "every record failed")
    return parser
