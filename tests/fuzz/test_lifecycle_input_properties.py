"""Hostile input straight into the ingestion steps (no server needed): whatever the query
or the Idempotency-Key, the answer is a refusal naming what is wrong (a client error
for the API), or a result the store really holds; never an exception the API would
answer with 500.

Header values arrive as aiohttp decodes them: bytes that are not UTF-8 become lone
surrogates (``surrogateescape``), which no store can encode, so keys include them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from components.http import ProblemError
from endpoints import headers
from endpoints.exchange import Exchange
from payments.api.queries import OrderQueries
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.rejections import Rejected
from payments.lifecycle.ingestion import Ingestion
from payments.lifecycle.keys import CLIENT_ID, IDEMPOTENCY_KEY, ORDER_CREATED
from payments.stores import SqliteOrderStore
from tests.payments.conftest import VALID_ORDER

EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text as a client can send it: any code point, decimal digits of other scripts and
# superscripts, and the lone surrogates undecodable header bytes become.
hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(
        st.sampled_from("0123456789\u00b2\u00b3\u00b9\u0663\u06f4\u0967\U0001d7d7"),
        min_size=1,
        max_size=5000,
    ),
    st.text(st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1, max_size=3),
    st.sampled_from(["-1", "+5", " 5", "5 ", "1e2", "0x10", "007", "100", "101", "0"]),
)


@pytest.fixture
async def lifecycle(tmp_path: Path) -> AsyncIterator[Ingestion]:
    store = SqliteOrderStore(tmp_path / "orders.sqlite3")
    await store.start()
    yield Ingestion(store)
    await store.stop()


def assert_client_error(error: ProblemError, named: set[str]) -> None:
    problem = error.problem
    assert 400 <= problem.status < 500, problem
    assert problem.detail
    assert {field.field for field in problem.errors} <= named, problem


@EXAMPLES
@given(
    query=st.dictionaries(
        st.one_of(st.sampled_from(["status", "limit", "after"]), st.text(max_size=10)),
        hostile_text,
        max_size=4,
    )
)
@example(query={"limit": "²"})
@example(query={"limit": "9" * 5000})
@example(query={"status": "pending", "limit": "007"})
async def test_any_listing_query_is_answered_or_refused_naming_its_parameters(
    lifecycle: Ingestion, query: dict[str, str]
) -> None:
    exchange = Exchange.of(None, {headers.HTTP_QUERY: query, headers.HTTP_PRINCIPAL: "shop-a"})
    try:
        await OrderQueries(lifecycle.store).list_orders(exchange)
    except ProblemError as error:
        assert_client_error(error, set(query))
        return
    limit = int(query.get("limit", "20"))
    assert 1 <= limit <= 100
    assert query.get("status", "PENDING").upper() in set(OrderStatus)
    assert len(exchange.body["items"]) <= limit


def fields_named(refusal: Rejected) -> set[str]:
    assert refusal.detail
    return {problem.field for problem in refusal.problems}


@EXAMPLES
@given(
    key=hostile_text,
    body=st.one_of(
        st.just(VALID_ORDER),
        st.dictionaries(st.sampled_from(sorted(VALID_ORDER)), hostile_text),
        st.lists(st.none(), max_size=2),
        st.none(),
    ),
)
@example(key="\udcff\udcfe", body=VALID_ORDER)
@example(key="k" * 256, body=VALID_ORDER)
async def test_any_create_request_is_stored_once_or_refused_naming_its_fields(
    lifecycle: Ingestion, key: str, body: Any
) -> None:
    async def create() -> Exchange:
        exchange = Exchange.of(body, {IDEMPOTENCY_KEY: key, CLIENT_ID: "shop-a"})
        lifecycle.receive(exchange)
        await lifecycle.create_all([exchange])
        if exchange.exception is not None:
            raise exchange.exception
        return exchange

    refused: set[str] | None = None
    try:
        first = await create()
    except Rejected as refusal:  # the API answers it with a 400 or 422 problem
        refused = fields_named(refusal)
    except ValidationError as error:  # the problem middleware answers it with 422
        refused = {str(item["loc"][0]) if item["loc"] else "" for item in error.errors()}
    if refused is not None:
        assert refused <= {"Idempotency-Key", "", *VALID_ORDER}
        return
    order = first.body
    assert isinstance(order, PaymentOrder)
    stored = await lifecycle.store.get(order.id)
    assert stored is not None
    assert (stored.idempotency_key, stored.client_id) == (key, "shop-a")
    replay = await create()
    assert replay.body.id == order.id
    assert replay.properties[ORDER_CREATED] is False
