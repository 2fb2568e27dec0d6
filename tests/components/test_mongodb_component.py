"""The ``mongodb:`` component against a real MongoDB-wire server (FerretDB by default)."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from decimal import Decimal

import pytest
from bson.binary import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, ServerSelectionTimeoutError

from components.mongodb import MongoComponent
from components.mongodb.codecs import DECIMAL_SUBTYPE
from components.mongodb.endpoint import MongoEndpoint
from components.mongodb.headers import MATCHED_COUNT
from endpoints.base import ConsumerNotSupported
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from routes.dsl import RouteBuilder
from routes.engine import Engine

pytestmark = pytest.mark.mongo

Database = AsyncDatabase[dict[str, object]]


@pytest.fixture
def orders(mongo_db: Database) -> str:
    return f"mongodb:{mongo_db.name}.orders"


async def started(component: MongoComponent, uri: str) -> MongoEndpoint:
    endpoint = component.create_endpoint(uri)
    assert isinstance(endpoint, MongoEndpoint)
    await endpoint.start()
    return endpoint


async def send(component: MongoComponent, uri: str, body: object) -> Exchange:
    exchange = Exchange.of(body)
    await (await started(component, uri)).create_producer().process(exchange)
    return exchange


async def test_insert_then_find_by_id_keeps_decimal_amounts(
    component: MongoComponent, orders: str, mongo_db: Database
) -> None:
    order = {"_id": "o-1", "amount": Decimal("1234.56"), "fees": [Decimal("0.10")]}

    inserted = await send(component, f"{orders}?operation=insert", order)
    found = await send(component, f"{orders}?operation=findById", "o-1")

    assert inserted.body == "o-1"
    assert found.body == order
    assert type(found.body["amount"]) is Decimal
    assert str(found.body["amount"]) == "1234.56"
    assert str(found.body["fees"][0]) == "0.10"
    # Stored as exact text, never as a float (a plain client sees the raw value).
    raw = await mongo_db["orders"].find_one({"_id": "o-1"})
    assert raw is not None
    assert raw["amount"] == Binary(b"1234.56", DECIMAL_SUBTYPE)


async def test_find_by_id_and_by_query_give_none_when_nothing_matches(
    component: MongoComponent, orders: str
) -> None:
    await send(component, f"{orders}?operation=insert", {"_id": "o-1", "status": "PENDING"})

    by_query = await send(component, f"{orders}?operation=findOneByQuery", {"status": "PENDING"})
    missing = await send(component, f"{orders}?operation=findById", "nope")
    no_match = await send(component, f"{orders}?operation=findOneByQuery", {"status": "FAILED"})

    assert by_query.body == {"_id": "o-1", "status": "PENDING"}
    assert (missing.body, no_match.body) == (None, None)


async def test_compare_and_set_update_ignores_a_stale_change(
    component: MongoComponent, orders: str
) -> None:
    await send(component, f"{orders}?operation=insert", {"_id": "o-2", "status": "PENDING"})
    change = {"$set": {"status": "VALIDATED"}, "$inc": {"version": 1}}
    stale = {"$set": {"status": "FAILED"}, "$inc": {"version": 1}}
    expects_pending = {"_id": "o-2", "status": "PENDING"}

    first = await send(
        component, f"{orders}?operation=update", {"filter": expects_pending, "update": change}
    )
    second = await send(
        component, f"{orders}?operation=update", {"filter": expects_pending, "update": stale}
    )
    current = await send(component, f"{orders}?operation=findById", "o-2")

    assert first.body == {"_id": "o-2", "status": "VALIDATED", "version": 1}
    assert first.headers[MATCHED_COUNT] == 1
    assert second.body is None
    assert second.headers[MATCHED_COUNT] == 0
    assert current.body == first.body


async def test_upsert_creates_then_updates(component: MongoComponent, orders: str) -> None:
    uri = f"{orders}?operation=upsert"
    created = await send(
        component,
        uri,
        {
            "filter": {"_id": "o-3"},
            "update": {"$set": {"status": "PENDING"}, "$setOnInsert": {"amount": Decimal("5")}},
        },
    )
    updated = await send(
        component,
        uri,
        {
            "filter": {"_id": "o-3"},
            "update": {"$set": {"status": "ACCEPTED"}, "$setOnInsert": {"amount": Decimal("9")}},
        },
    )

    assert created.body == {"_id": "o-3", "status": "PENDING", "amount": Decimal("5")}
    assert updated.body == {"_id": "o-3", "status": "ACCEPTED", "amount": Decimal("5")}


async def test_duplicate_insert_raises_duplicate_key_error(
    component: MongoComponent, orders: str
) -> None:
    producer = (await started(component, f"{orders}?operation=insert")).create_producer()
    await producer.process(Exchange.of({"_id": "o-4"}))

    with pytest.raises(DuplicateKeyError):
        await producer.process(Exchange.of({"_id": "o-4"}))


@pytest.mark.parametrize(
    "body", [["not", "a", "dict"], {"filter": {}}, {"filter": 1, "update": {}}]
)
async def test_update_rejects_a_body_that_is_not_filter_and_update(
    component: MongoComponent, orders: str, body: object
) -> None:
    with pytest.raises(TypeError, match=r'mongodb update: the body must be a dict \{"filter"'):
        await send(component, f"{orders}?operation=update", body)


async def test_one_client_per_connection_string(mongo_uri: str, mongo_db: Database) -> None:
    other = f"{mongo_uri}?appname=reports"
    component = MongoComponent(mongo_uri, connections={"same": mongo_uri, "reports": other})
    base = f"mongodb:{mongo_db.name}"
    try:
        inserting = await started(component, f"{base}.orders?operation=insert")
        finding = await started(component, f"{base}.audit?operation=findById&connection=same")
        reporting = await started(component, f"{base}.orders?operation=findById&connection=reports")
        assert inserting.collection is not None
        assert finding.collection is not None
        assert reporting.collection is not None

        shared = inserting.collection.database.client
        assert finding.collection.database.client is shared
        assert component.collection(mongo_db.name, "keys").database.client is shared
        assert reporting.collection.database.client is not shared
    finally:
        await component.stop()


def test_default_connection_comes_from_mongo_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:27017/")
    assert MongoComponent().connection_string() == "mongodb://127.0.0.1:27017/"
    assert MongoComponent("mongodb://elsewhere/").connection_string() == "mongodb://elsewhere/"


def test_a_missing_default_connection_fails_at_endpoint_creation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MONGO_URI", raising=False)
    with pytest.raises(EndpointError, match="no MongoDB connection: give MongoComponent"):
        MongoComponent().create_endpoint("mongodb:payments.orders?operation=insert")


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("mongodb:payments?operation=insert", "needs <database>.<collection>"),
        ("mongodb:.orders?operation=insert", "needs <database>.<collection>"),
        ("mongodb:payments.orders", "option 'operation': Field required"),
        ("mongodb:payments.orders?operation=delete", "option 'operation': Input should be"),
        ("mongodb:payments.orders?operation=insert&batchSize=5", "unknown option 'batchSize'"),
        (
            "mongodb:payments.orders?operation=insert&connection=reports",
            "unknown connection 'reports' (known: audit)",
        ),
    ],
)
def test_bad_uris_name_the_problem(uri: str, problem: str) -> None:
    component = MongoComponent("mongodb://127.0.0.1:1/", connections={"audit": "mongodb://a/"})
    with pytest.raises(EndpointError) as raised:
        component.create_endpoint(uri)
    assert problem in raised.value.reason
    assert raised.value.uri == uri


def test_mongodb_endpoints_cannot_be_consumed() -> None:
    endpoint = MongoComponent("mongodb://127.0.0.1:1/").create_endpoint(
        "mongodb:payments.orders?operation=insert"
    )

    async def handler(exchange: Exchange) -> None:
        raise AssertionError("never called")

    with pytest.raises(ConsumerNotSupported, match="can only be sent to"):
        endpoint.create_consumer(handler)


async def stop_collecting_pymongo_leak(component: MongoComponent) -> None:
    """pymongo 4.20 leaks the socket of a connect that closing the client cancels
    (PYTHON-5867); collect it here so warnings stay errors everywhere else."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        await component.stop()
        gc.collect()


@pytest.mark.parametrize("listening", [False, True], ids=["refused", "silent"])
async def test_a_store_that_is_down_fails_the_start_within_the_timeout(listening: bool) -> None:
    with socket.socket() as store:
        store.bind(("127.0.0.1", 0))
        if listening:
            store.listen()  # takes connections, never answers
        component = MongoComponent(
            f"mongodb://127.0.0.1:{store.getsockname()[1]}/", server_selection_timeout_ms=300
        )
        endpoint = component.create_endpoint("mongodb:payments.orders?operation=insert")
        loop = asyncio.get_running_loop()
        started_at = loop.time()
        try:
            async with asyncio.timeout(5):
                with pytest.raises(ServerSelectionTimeoutError):
                    await endpoint.start()
            elapsed = loop.time() - started_at
        finally:
            await stop_collecting_pymongo_leak(component)
    assert elapsed < 2


async def test_a_batch_step_inserts_its_group_in_one_call_and_a_taken_id_fails_alone(
    component: MongoComponent, orders: str, mongo_db: Database
) -> None:
    await mongo_db["orders"].insert_one({"_id": "o-3", "note": "there before"})
    builder = RouteBuilder()
    (
        builder.from_("direct:store")
        .route_id("store")
        .on_exception(DuplicateKeyError, handled=True)
        .set_body("taken")
        .end()
        .batch(to=f"{orders}?operation=insert", size=100, timeout=5)
    )
    engine = Engine()
    engine.add_component("mongodb", component)
    engine.add_routes(builder)
    await engine.start()
    try:
        bodies = [{"_id": f"o-{n}", "amount": Decimal(f"{n}.50")} for n in range(6)]
        sent = await asyncio.gather(*(engine.send("direct:store", body) for body in bodies))
    finally:
        await engine.stop()

    assert [exchange.body for exchange in sent] == ["o-0", "o-1", "o-2", "taken", "o-4", "o-5"]
    sizes = engine.routes["store"].metrics.batch_sizes[f"batch to mongodb:{mongo_db.name}.orders"]
    assert (sizes.count, sizes.total) == (1, 6)  # one insert_many for the six
    stored = {document["_id"]: document async for document in mongo_db["orders"].find()}
    assert stored["o-3"] == {"_id": "o-3", "note": "there before"}
    assert stored["o-5"]["amount"] == Binary(b"5.50", DECIMAL_SUBTYPE)
    assert len(stored) == 6


async def test_insert_many_inserts_a_list_and_answers_the_ids_in_order(
    component: MongoComponent, orders: str, mongo_db: Database
) -> None:
    documents = [{"_id": f"o-{n}", "amount": Decimal("1.00")} for n in range(3)]

    inserted = await send(component, f"{orders}?operation=insertMany", documents)

    assert inserted.body == ["o-0", "o-1", "o-2"]
    assert await mongo_db["orders"].count_documents({}) == 3
    with pytest.raises(TypeError, match="a list of documents"):
        await send(component, f"{orders}?operation=insertMany", {"_id": "o-9"})
