"""Schemathesis against the running ingestion API, driven by its own OpenAPI document:
whatever a client sends, the answer is never a 5xx, every 4xx is problem details, and
every response matches what the document promises. The API runs with clients
configured, so schemathesis also checks that each operation refuses a request without
a key, or with a wrong one (its ``ignored_auth`` check).

The API runs as its own process (``app.py ingest``): Hypothesis draws from the
``random`` module's state, and a service in the test's process moves that state from
another thread while a case is drawn (pymongo draws every request id from it), which
Hypothesis reports as a flaky use of ``random`` inside a strategy. Schemathesis calls
the API with ``requests`` (blocking), from a worker thread. Generation is derandomized
and bounded, so a CI run sends the same requests every time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode, Response

from infra.services import service_processes
from payments.api.clients import digest
from tests.payments.conftest import bearer

pytestmark = [pytest.mark.kafka, pytest.mark.mongo, pytest.mark.timeout(180)]

EXAMPLES_PER_OPERATION = 100
FUZZER_KEY = "key-of-the-fuzzer"
REQUEST_TIMEOUT = 5.0
Operation = APIOperation[Any, Any, Any, Any]
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}

# What JSON Schema cannot say about an order (a positive amount within the currency's
# minor units, two different accounts, IBAN check digits) is a 422 for a schema-valid
# body, as the document says; every other check keeps its defaults.
CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-operation-id": "createPaymentOrder",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "422"]}},
            },
            # Nor what a pain.001's XSD says: a string that is not one is a 400 (FF01).
            {
                "include-operation-id": "sendPaymentFile",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
            },
        ]
    }
)


def bounded(max_examples: int, **more: Any) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        **more,
    )


def check_answer(response: Response, tally: Counter[str], label: str) -> None:
    """No server error; every client error is RFC 9457 problem details that agree with
    the status line."""
    tally[f"{label} -> {response.status_code}"] += 1
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        (content_type,) = response.headers["content-type"]
        assert content_type.startswith("application/problem+json"), response.text
        problem = response.json()
        assert set(problem) >= PROBLEM_FIELDS, problem
        assert problem["status"] == response.status_code, problem
        assert problem["title"], problem
        assert problem["detail"], problem


def cases(
    operation: Operation, mode: GenerationMode, created: list[str]
) -> SearchStrategy[Case[Any]]:
    """The operation's generated requests; a read of one order also gets the ids of orders
    created earlier, so it reads real orders and not only unknown ones."""
    generated = operation.as_strategy(generation_mode=mode)
    if "{id}" not in operation.path or mode is not GenerationMode.POSITIVE or not created:
        return generated
    existing = st.sampled_from(created).flatmap(
        lambda order_id: operation.as_strategy(path_parameters={"id": order_id})
    )
    return st.one_of(generated, existing)


def fuzz_operation(
    operation: Operation,
    mode: GenerationMode,
    base_url: str,
    tally: Counter[str],
    created: list[str],
) -> None:
    label = f"{operation.label} [{mode.value}]"
    session = requests.Session()

    @bounded(EXAMPLES_PER_OPERATION)
    @given(case=cases(operation, mode, created))
    def send(case: Case[Any]) -> None:
        response = case.call_and_validate(
            base_url=base_url, session=session, headers=bearer(FUZZER_KEY), timeout=REQUEST_TIMEOUT
        )
        check_answer(response, tally, label)
        if operation.method.upper() == "POST" and response.status_code in (200, 201):
            created.append(response.json()["id"])

    with session:
        try:
            send()
        except Unsatisfiable:
            # Schemathesis's own runner skips these too: an operation whose only input is
            # an unconstrained string (the order id in the path) has no invalid values.
            if mode is GenerationMode.POSITIVE:
                raise
            tally[f"{label} -> no invalid input exists"] += 1


def fuzz(base_url: str, tally: Counter[str]) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=CONFIG)
    operations: list[Operation] = [
        operation for methods in schema.values() for operation in methods.values()
    ]
    created: list[str] = []
    # Creations first: the reads after them pick from the orders they made.
    for operation in sorted(operations, key=lambda operation: operation.method.upper() != "POST"):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, base_url, tally, created)


async def test_the_api_survives_schemathesis(
    kafka_bootstrap: str, mongo_uri: str, tenant: str, tmp_path: Path
) -> None:
    clients = tmp_path / "clients.yaml"
    # A rate no fuzzing run reaches: this test is about the answers, not the limit.
    clients.write_text(
        f"clients:\n  - id: fuzzer\n    keySha256: {digest(FUZZER_KEY)}\n"
        "    rateLimit: {perSecond: 100000, burst: 100000}\n"
    )
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGO_URI": mongo_uri,
        "MONGO_DATABASE": tenant,
        "KAFKA_TOPIC_PREFIX": f"{tenant}.",
        "API_CLIENTS_FILE": str(clients),
    }
    tally: Counter[str] = Counter()
    async with service_processes(tmp_path) as processes:
        api = await processes.start("ingest", env)
        await api.ready()
        started = time.monotonic()
        await asyncio.to_thread(fuzz, api.url, tally)
    print(f"\nschemathesis: {tally.total()} requests in {time.monotonic() - started:.1f} s")
    for outcome, count in sorted(tally.items()):
        print(f"  {outcome}: {count}")
    created = tally["POST /payment-orders [positive] -> 201"]
    read = tally["GET /payment-orders/{id} [positive] -> 200"]
    assert created, "the fuzzing never created an order"
    assert read, "the fuzzing never read an order it created"
