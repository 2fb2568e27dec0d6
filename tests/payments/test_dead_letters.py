"""``app.py dead-letters`` on the real broker and store: what is on the DLT, and
re-driving it safely — a fixed record executes its order once, a command of an order
that ended changes nothing, a record still unreadable goes back with its reason."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from config.settings import Settings
from endpoints import headers
from endpoints.exchange import utcnow
from payments.bank import SimulatedBank
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.topics import TopicNames
from payments.operations.dead_letters import (
    REDRIVEN_AT,
    REDRIVEN_FROM_OFFSET,
    DeadLetter,
    dead_letters,
    run,
)
from payments.service.build import PaymentService
from tests.payments.conftest import StartService
from tests.payments.store_steps import executing, new_order
from tests.payments.wire import command_json, produce
from tests.polling import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]
APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture
def settings(kafka_bootstrap: str, mongo_uri: str, tenant: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap,
        mongo_uri=mongo_uri,
        mongo_database=tenant,
        kafka_topic_prefix=f"{tenant}.",
    )


async def letters_on(topic: str, bootstrap: str, at_least: int) -> list[DeadLetter]:
    async def enough() -> list[DeadLetter]:
        found = [letter async for letter in dead_letters(bootstrap, topic)]
        return found if len(found) >= at_least else []

    found: list[DeadLetter] = await eventually(enough, deadline=20, interval=0.3)
    return found


async def dead_lettered(ingest: PaymentService, settings: Settings) -> PaymentOrder:
    """An EXECUTING order whose command sits on the DLT, as an older worker left it."""
    order = await executing(ingest.store, new_order(at=utcnow()))
    topics = TopicNames(settings.kafka_topic_prefix)
    await produce(
        settings.kafka_bootstrap_servers or "",
        topics.dead_letter,
        [(order.id, command_json(order))],
    )
    return order


async def test_list_and_show_what_the_dlt_holds(
    start_service: StartService, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest = await start_service("ingest")
    order = await dead_lettered(ingest, settings)
    topic = TopicNames(settings.kafka_topic_prefix).dead_letter
    await letters_on(topic, settings.kafka_bootstrap_servers or "", 1)

    assert await run(settings, ["list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    offset, key, _failed_at, reason = line.split("\t")
    assert (offset, key) == ("0", order.id)
    assert reason == "?: "  # written here without the channel's headers
    assert await run(settings, ["show", "0"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["key"] == order.id
    assert json.loads(shown["value"])["orderId"] == order.id
    assert await run(settings, ["show", "7"]) == 2
    assert "no dead letter at offset 7" in capsys.readouterr().err


async def test_a_record_from_before_the_mask_is_read_with_its_credentials_masked(
    start_service: StartService, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await start_service("ingest")
    topic = TopicNames(settings.kafka_topic_prefix).dead_letter
    cause = "http://user:secret@bank.test:9000/payments: answered 503"
    failure = [
        (headers.EXCEPTION_TYPE, b"payments.gateway.errors.TransientGatewayError"),
        (headers.EXCEPTION_MESSAGE, cause.encode()),
    ]
    await produce(settings.kafka_bootstrap_servers or "", topic, [("o-1", b"{}")], failure)
    [letter] = await letters_on(topic, settings.kafka_bootstrap_servers or "", 1)

    masked = "http://***@bank.test:9000/payments: answered 503"
    assert letter.summary()["exceptionMessage"] == masked
    assert await run(settings, ["list"]) == 0
    assert capsys.readouterr().out.rstrip().endswith(f"TransientGatewayError: {masked}")
    assert await run(settings, ["show", "0"]) == 0
    assert "secret" not in capsys.readouterr().out


async def test_a_fixed_poison_record_redriven_executes_its_order_once_and_again_changes_nothing(
    start_service: StartService, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The worker dead-letters a command for an order the store does not have; once the
    order is there (the fix), a re-drive executes it once, and another changes nothing."""
    ingest = await start_service("ingest")
    bank = SimulatedBank()
    worker = await start_service("process", bank=bank)
    topics = TopicNames(settings.kafka_topic_prefix)
    servers = settings.kafka_bootstrap_servers or ""
    order = new_order(at=utcnow())
    # Without its version the worker reads the order before paying, and finds none.
    await produce(servers, topics.execute, [(order.id, command_json(order, version=None))])
    [letter] = await letters_on(topics.dead_letter, servers, 1)
    assert letter.headers[headers.EXCEPTION_TYPE] == "payments.lifecycle.execution.PoisonCommand"
    assert letter.headers[headers.EXCEPTION_MESSAGE] == f"no payment order {order.id}"
    await executing(ingest.store, order)

    assert await run(settings, ["redrive", "0"]) == 0
    assert capsys.readouterr().out == "0\tsent\n"

    async def executed() -> PaymentOrder | None:
        found = await worker.store.get(order.id)
        return found if found is not None and found.status is OrderStatus.EXECUTED else None

    await eventually(executed)
    assert len(bank.entries_for(order.id)) == 1

    assert await run(settings, ["redrive", "--all"]) == 0
    assert capsys.readouterr().out == f"0\tskipped: order {order.id} is EXECUTED\n"
    assert len(bank.entries_for(order.id)) == 1
    assert await run(settings, ["redrive", "5"]) == 0
    assert capsys.readouterr().out == "5\tno such dead letter\n"


async def test_a_record_still_unreadable_goes_back_to_the_dlt_with_its_reason(
    start_service: StartService, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await start_service("ingest")
    topics = TopicNames(settings.kafka_topic_prefix)
    servers = settings.kafka_bootstrap_servers or ""
    await produce(servers, topics.dead_letter, [("k-1", b"{not json")])
    await start_service("process")

    assert await run(settings, ["redrive", "0"]) == 0
    assert capsys.readouterr().out == "0\tsent\n"
    first, again = await letters_on(topics.dead_letter, servers, 2)
    assert (again.key, again.value) == (first.key, first.value)
    assert again.headers[REDRIVEN_FROM_OFFSET] == "0"
    assert REDRIVEN_AT in again.headers
    assert again.headers[headers.EXCEPTION_TYPE] == "payments.lifecycle.execution.PoisonCommand"


async def test_the_embedded_default_says_it_has_no_dead_letters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run(Settings(kafka_bootstrap_servers=None, mongo_uri=None), ["list"]) == 2
    assert "the embedded default keeps no dead letters" in capsys.readouterr().err


def test_app_py_runs_the_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI")}
    result = subprocess.run(
        [sys.executable, str(APP), "dead-letters", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("app.py dead-letters: the embedded default keeps no")


async def test_the_console_lists_the_newest_dead_letters(
    start_service: StartService, settings: Settings
) -> None:
    ingest = await start_service("ingest")
    topic = TopicNames(settings.kafka_topic_prefix).dead_letter
    await produce(
        settings.kafka_bootstrap_servers or "", topic, [(f"k-{n}", b"x") for n in range(3)]
    )
    embedded = await start_service("all", embedded=True)
    async with aiohttp.ClientSession() as client:

        async def listed(service: PaymentService, query: str) -> tuple[int, Any]:
            url = f"{service.http.url}/console/api/dead-letters{query}"
            async with client.get(url) as answer:
                return answer.status, await answer.json()

        status, page = await listed(ingest, "?limit=2")
        assert status == 200
        assert [(item["offset"], item["key"]) for item in page["items"]] == [(2, "k-2"), (1, "k-1")]
        status, problem = await listed(ingest, "?limit=0")
        assert status == 400
        assert [(error["field"], error["detail"]) for error in problem["errors"]] == [
            ("limit", "must be a whole number from 1 to 500")
        ]
        status, problem = await listed(embedded, "")
        assert (status, problem["detail"]) == (404, "the embedded default keeps no dead letters")


async def test_redrive_since_and_until_send_only_what_failed_within(
    start_service: StartService, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await start_service("ingest")
    topics = TopicNames(settings.kafka_topic_prefix)
    servers = settings.kafka_bootstrap_servers or ""
    for failed_at in (b"2026-12-01T10:00:00+00:00", b"2026-12-02T10:00:00+00:00"):
        await produce(
            servers, topics.dead_letter, [("k", b"{not json")], [("x-failed-at", failed_at)]
        )
    await letters_on(topics.dead_letter, servers, 2)

    assert await run(settings, ["redrive", "--all", "--since", "2026-12-02T00:00:00+00:00"]) == 0
    assert capsys.readouterr().out == "1\tsent\n"
    assert await run(settings, ["redrive", "--until", "2026-12-02"]) == 0  # midnight UTC
    assert capsys.readouterr().out == "0\tsent\n"
    window = ["--since", "2026-12-01T12:00:00+01:00", "--until", "2026-12-02T12:00:00+01:00"]
    assert await run(settings, ["redrive", *window]) == 0
    assert capsys.readouterr().out == "1\tsent\n"
    assert await run(settings, ["redrive"]) == 2
    assert "redrive: name the offsets, or --all, --since or --until" in capsys.readouterr().err
