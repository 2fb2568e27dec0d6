"""Apache Camel's own documented examples (``tests/engine/camel_docs/``, one file per
page, every case checked against Camel 4.14), run on this engine: each route file
loads and gives the outcome its page states. Where the engine refuses an example or
behaves otherwise, ``REFUSED`` and ``DIFFERS`` say so and why. A refusal is checked
by its words, and a difference by the one check of the case that fails and what it
saw, so neither table can go stale or hide another failure.

Each case runs on an event loop of its own whose clock is fast-forwarded (looptime):
its waits — a timer's period, a completion timeout, watching that nothing more
arrives — take no real time, and their bounds are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import looptime
import pytest
import yaml

from components.direct import DirectConsumerNotAvailable
from components.mock import MockEndpoint
from endpoints.exchange import Exchange
from routes.engine import Engine, RouteStartError
from routes.simple.rendering import render
from routes.yaml import RouteConfigError, load_routes
from routes.yaml.handling import exception_type
from tests.engine.camel_docs_beans import beans_for

CORPUS = Path(__file__).parent / "camel_docs"

# Examples the engine refuses when it loads or starts them, with the words of its refusal.
REFUSED: dict[str, str] = {
    "choice-precondition-mode": "choice.precondition: unknown key 'precondition'",
    "route-configuration-precondition-enabled": "unknown key 'precondition'",
    "route-configuration-precondition-disabled": "unknown key 'precondition'",
    "dlc-delay-pattern": "redeliveryPolicy.delayPattern: unknown key 'delayPattern'",
    "log-component-throughput-group-size": "unknown option 'groupSize'",
    "recipient-list-parallel-timeout": "multicast.timeout: unknown key 'timeout'",
    "seda-multiple-consumers": "unknown option 'multipleConsumers'",
    "split-share-unit-of-work-dead-letter": "unknown key 'shareUnitOfWork'",
    "to-pattern-in-out-on-seda": "to.pattern: unknown key 'pattern'",
    "simple-nested-properties-function": "Camel's function 'properties:${header.someKey}' is not",
    "simple-replace-quotes": "Camel's function 'replace(&quot;,&apos;)' is not supported",
    "simple-substring": "Camel's function 'substring(3)' is not supported here",
    "simple-result-type-and-increment": "the unary operator ++ is not supported",
    "simple-collate-with-split": "Camel's function 'collate(3)' is not supported here",
    "simple-skip-with-split": "Camel's function 'skip(1)' is not supported here",
}


@dataclass(frozen=True)
class Differs:
    why: str
    seen: str  # what the failing check of the case saw here


# Examples that load and run but end otherwise than in Camel, and why.
DIFFERS: dict[str, Differs] = {
    "dlc-failure-endpoint-and-route": Differs(
        "a dead letter carries CamelFailureRouteId but no CamelFailureEndpoint: the engine "
        "does not keep the last endpoint an exchange was sent to",
        "('CamelFailureEndpoint', {'CamelExceptionCaught'",
    ),
    "onexception-multiple-exception-types": Differs(
        "Java's names stand for Python's exceptions, whose hierarchy differs: "
        "UnsupportedOperationException is NotImplementedError, a RuntimeError, which is "
        "what IllegalStateException stands for",
        "['arg', 'state', 'other']",
    ),
    "log-component-default-output-format": Differs(
        "the log line names Python's types (BodyType: str) and has no ExchangePattern: "
        "the engine has no exchange patterns",
        "'Exchange[BodyType: str, Body: Order 3]'",
    ),
    "recipient-list-dynamic-header": Differs(
        "CamelRecipientListEndpoint is the URI as written (mock:x), not Camel's "
        "normalised form (mock://x)",
        "'CamelRecipientListEndpoint': 'mock:x'",
    ),
}

# Camel's own exceptions the cases name, as the engine's.
CAMEL_EXCEPTIONS: dict[str, type[BaseException]] = {
    "org.apache.camel.component.direct.DirectConsumerNotAvailableException": (
        DirectConsumerNotAvailable
    ),
}

# Camel's Java types by simple name, as the cases name a body's type.
JAVA_TYPES: dict[str, type | tuple[type, ...]] = {
    "String": str,
    "Integer": int,
    "Long": int,
    "Boolean": bool,
    "Double": float,
    "BigDecimal": Decimal,
    "byte[]": bytes,
    "List": list,
    "Map": dict,
}


@dataclass(frozen=True)
class Case:
    page: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec["name"])


def cases() -> Iterator[Any]:
    for path in sorted(CORPUS.glob("*.yaml")):
        for spec in yaml.safe_load(path.read_text(encoding="utf-8")):
            case = Case(path.stem, spec)
            yield pytest.param(case, id=f"{case.page}: {case.name}")


def test_the_tables_name_only_cases_of_the_corpus() -> None:
    names = {param.values[0].name for param in cases()}
    assert set(REFUSED) <= names
    assert set(DIFFERS) <= names
    assert not set(REFUSED) & set(DIFFERS)


@pytest.mark.parametrize("case", list(cases()))
def test_a_documented_example_behaves_as_its_page_says(case: Case, tmp_path: Path) -> None:
    with asyncio.Runner(loop_factory=looptime.new_event_loop) as runner:  # time compacted
        differs = DIFFERS.get(case.name)
        if differs is None:
            runner.run(run_case(case, tmp_path))
            return
        with pytest.raises(AssertionError, match=re.escape(differs.seen)):
            runner.run(run_case(case, tmp_path))


async def run_case(case: Case, tmp_path: Path) -> None:
    route_file = tmp_path / f"{case.name}.yaml"
    route_file.write_text(case.spec["route"], encoding="utf-8")
    properties = {k: str(v) for k, v in (case.spec.get("properties") or {}).items()}
    engine = Engine()
    for name, bean in beans_for(case.name).items():
        engine.bind(name, bean)
    refusal = REFUSED.get(case.name)
    if refusal is not None:
        with pytest.raises((RouteConfigError, RouteStartError), match=re.escape(refusal)):
            await start(engine, route_file, properties)
        return
    root = logging.getLogger()
    logs, level = LogWatch(), root.level
    root.addHandler(logs)
    root.setLevel(1)
    try:
        await start(engine, route_file, properties)
        run = Run(engine, asyncio.get_running_loop().time(), logs)
        sent = [await run.send(exchange) for exchange in case.spec["exchanges"]]
        await run.check(case.spec["expect"], sent)
    finally:
        await engine.stop()
        root.removeHandler(logs)
        root.setLevel(level)


async def start(engine: Engine, route_file: Path, properties: dict[str, str]) -> None:
    engine.add_routes(load_routes(route_file, properties=properties, environ={}))
    await engine.start()


class LogWatch(logging.Handler):
    """Every record logged, and a way to wait for the next one."""

    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []
        self.logged = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.logged.set()


@dataclass
class Run:
    engine: Engine
    started: float  # on the event loop's clock
    logs: LogWatch

    async def send(self, spec: dict[str, Any]) -> Exchange:
        body = spec["body_bytes"].encode() if "body_bytes" in spec else spec.get("body")
        exchange = Exchange.of(body, dict(spec.get("headers") or {}))
        exchange.properties.update(spec.get("properties") or {})
        try:
            producer = await self.engine.started_producer(spec["to"])
            await producer.process(exchange)
        except Exception as error:  # the caller's exception, as Camel's template throws
            exchange.exception = error
        return exchange

    def elapsed(self) -> float:
        return asyncio.get_running_loop().time() - self.started

    async def check(self, expect: list[dict[str, Any]], sent: list[Exchange]) -> None:
        failing = set()
        for entry in expect:
            if "endpoint" in entry:
                await self.check_endpoint(entry)
            elif "log" in entry:
                await self.check_log(entry["log"])
            elif "reply" in entry:
                reply = entry["reply"]
                assert same(sent[reply["exchange"]].body, reply["body"]), reply
            else:
                failure = entry["exception"]
                failing.add(failure["exchange"])
                check_exception(sent[failure["exchange"]], failure)
        for index, exchange in enumerate(sent):
            if index not in failing:
                assert exchange.exception is None, f"exchange {index}: {exchange.exception!r}"

    async def check_endpoint(self, entry: dict[str, Any]) -> None:
        endpoint = self.engine.endpoint(entry["endpoint"])
        assert isinstance(endpoint, MockEndpoint)
        bodies = entry.get("bodies")
        matches = entry.get("bodies_match")
        count = len(bodies) if bodies is not None else entry.get("count")
        count = len(matches) if matches is not None else count
        least = entry.get("count_at_least", count)
        within = entry.get("within_ms", 5000) / 1000
        if least:
            await endpoint.expect(least, within=max(0.0, within - self.elapsed()))
            last = endpoint.arrived_at[least - 1] - self.started
            assert last <= within, f"the last came after {last:.3f} s"
            assert last >= entry.get("not_before_ms", 0) / 1000, f"it came at {last:.3f} s"
        settle = entry.get("settle_ms", 300 if count == 0 else 200) / 1000
        await asyncio.sleep(settle)  # the loop's time: whether any more come meanwhile
        received = endpoint.received
        if count is not None:
            assert len(received) == count, [exchange.body for exchange in received]
        if bodies is not None:
            got = [exchange.body for exchange in received]
            if entry.get("unordered"):
                assert sorted(map(text, got)) == sorted(map(text, bodies))
            else:
                assert all(same(b, e) for b, e in zip(got, bodies, strict=True)), (got, bodies)
        for exchange, pattern in zip(received, matches or [], strict=False):
            assert re.search(pattern, text(exchange.body)), (exchange.body, pattern)
        check_messages(entry, received)

    async def check_log(self, spec: dict[str, Any]) -> None:
        records = self.logs.records

        def found() -> list[logging.LogRecord]:
            return [record for record in records if log_matches(record, spec)]

        wanted = spec.get("count", spec.get("count_at_least", 1))
        remaining = spec.get("within_ms", 2000) / 1000 - self.elapsed()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, remaining)):
                while len(found()) < wanted:
                    self.logs.logged.clear()
                    await self.logs.logged.wait()
        everything = [record.getMessage() for record in records]
        if "count" in spec:
            assert len(found()) == spec["count"], everything
        else:
            assert len(found()) >= wanted, everything


def log_matches(record: logging.LogRecord, spec: dict[str, Any]) -> bool:
    level = {"WARN": "WARNING", "TRACE": "Level 5"}.get(spec.get("level", ""), spec.get("level"))
    message = record.getMessage()
    return (
        ("logger" not in spec or record.name == spec["logger"])
        and (level is None or record.levelname == level)
        and spec.get("contains", "") in message
        and ("matches" not in spec or re.search(spec["matches"], message) is not None)
    )


def check_messages(entry: dict[str, Any], received: list[Exchange]) -> None:
    for exchange, wanted in zip(received, entry.get("headers") or [], strict=False):
        for name, value in wanted.items():
            assert same(exchange.message.header(name), value), (name, exchange.headers)
    for exchange, patterns in zip(received, entry.get("headers_match") or [], strict=False):
        for name, pattern in patterns.items():
            assert re.search(pattern, text(exchange.message.header(name))), (name, pattern)
    for exchange in received:
        for name in entry.get("headers_absent") or []:
            assert exchange.message.header_name(name) is None, (name, exchange.headers)
        for name in entry.get("properties_present") or []:
            assert name in exchange.properties, (name, exchange.properties)
    for exchange, wanted in zip(received, entry.get("properties") or [], strict=False):
        for name, value in wanted.items():
            assert same(exchange.properties.get(name), value), (name, exchange.properties)
    for exchange, java_type in zip(received, entry.get("body_types") or [], strict=False):
        assert isinstance(exchange.body, JAVA_TYPES[java_type]), (exchange.body, java_type)


def check_exception(exchange: Exchange, spec: dict[str, Any]) -> None:
    wanted = CAMEL_EXCEPTIONS.get(spec["type"]) or exception_type(spec["type"])
    chain = []
    error: BaseException | None = exchange.exception
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(error, wanted) for error in chain), (spec, chain)
    if "message" in spec:
        assert spec["message"] in [str(error) for error in chain], (spec, chain)


def text(value: Any) -> str:
    return render(value) or ""


def same(value: Any, expected: Any) -> bool:
    """A text matches a value whose text it is; anything else matches by value."""
    if isinstance(expected, str):
        return value is not None and text(value) == expected
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    return bool(value == expected)
