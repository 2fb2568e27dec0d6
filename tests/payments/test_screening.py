"""Sanctions screening: the simulated screening service on 127.0.0.1, called by the
``http:`` component's real producer and through a route's enrich step; the verdict
strategy on exchanges, in payment terms; the list's settings; ``app.py screening``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from components.http import (
    HttpClientError,
    HttpComponent,
    HttpNoResponse,
    HttpServerError,
    HttpTimeout,
)
from config.settings import InvalidSettings
from endpoints import headers
from endpoints.exchange import Exchange
from endpoints.redelivery_policy import NonRetryable, RedeliveryPolicy
from infra.services import service_processes
from payments.domain.failures import REASON_SHOWN, failure_reason
from payments.domain.messages import ExecutePaymentCommand
from payments.screening import (
    SCREENINGS_PATH,
    ScreeningHit,
    ScreeningSettings,
    ScreeningUnavailable,
    ScreeningVerdict,
    create_screening_app,
    load_screening_settings,
    parse_listed,
)
from routes.definition import default_error_handler
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.yaml.beans import bean
from routes.yaml.loader import load_routes
from tests.app.test_start_up_errors import start
from tests.payments.conftest import ServeApp

APP = Path(__file__).resolve().parents[2] / "app.py"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
CLEAN_DEBTOR, CLEAN_CREDITOR = "DE89370400440532013000", "FR1420041010050500013M02606"
LISTED_DEBTOR, LISTED_CREDITOR = "NL91ABNA0417164300", "GB82WEST12345698765432"
# As an operator may write it: print form, lower case, blanks around, a trailing ";".
LISTED = " nl91 abna 0417 1643 00 = EU consolidated list ; gb82west12345698765432=OFAC SDN; "

ServeScreening = Callable[[str], Awaitable[str]]


def command(debtor: str = CLEAN_DEBTOR, creditor: str = CLEAN_CREDITOR) -> ExecutePaymentCommand:
    return ExecutePaymentCommand(
        order_id="order-1",
        debtor_account=debtor,
        creditor_account=creditor,
        amount=Decimal("125.50"),
        currency="EUR",
        version=2,
        client_id="shop-a",
    )


@pytest.fixture
def serve_screening(serve_app: ServeApp) -> ServeScreening:
    """Serve the screening service, its list ``listed``, on a free port of 127.0.0.1;
    the base URL is returned."""
    return lambda listed: serve_app(
        create_screening_app(ScreeningSettings.model_validate({"listed": listed}))
    )


@pytest.fixture
async def component() -> AsyncIterator[HttpComponent]:
    component = HttpComponent(port=0, shutdown_timeout=5)
    yield component
    await component.stop()


async def call(component: HttpComponent, uri: str, body: Any) -> Exchange:
    """``body`` sent through a started ``http://`` producer; its exchange."""
    endpoint = component.create_endpoint(uri)
    producer = endpoint.create_producer()
    await endpoint.start()
    await producer.start()
    exchange = Exchange.of(body)
    await producer.process(exchange)
    return exchange


# -- the service, called by the http producer ----------------------------------------------------
async def test_a_command_of_unlisted_accounts_is_clear(
    serve_screening: ServeScreening, component: HttpComponent
) -> None:
    url = await serve_screening(LISTED)
    exchange = await call(component, f"{url}{SCREENINGS_PATH}?method=POST&timeout=5", command())
    assert exchange.body == {"result": "clear"}
    assert exchange.headers[headers.HTTP_STATUS] == 200
    assert exchange.headers[headers.HTTP_CONTENT_TYPE] == "application/json"


@pytest.mark.parametrize(
    ("debtor", "creditor", "reason"),
    [
        (LISTED_DEBTOR, CLEAN_CREDITOR, "EU consolidated list"),
        (CLEAN_DEBTOR, LISTED_CREDITOR, "OFAC SDN"),
        (LISTED_DEBTOR, LISTED_CREDITOR, "EU consolidated list"),  # the debtor's first
    ],
)
async def test_a_listed_debtor_or_creditor_is_a_hit_with_its_reason(
    serve_screening: ServeScreening,
    component: HttpComponent,
    debtor: str,
    creditor: str,
    reason: str,
) -> None:
    url = await serve_screening(LISTED)
    exchange = await call(component, f"{url}{SCREENINGS_PATH}", command(debtor, creditor))
    assert exchange.body == {"result": "hit", "reason": reason}
    assert exchange.headers[headers.HTTP_STATUS] == 200


async def test_fields_it_does_not_read_are_ignored_and_accounts_matched_in_electronic_form(
    serve_screening: ServeScreening, component: HttpComponent
) -> None:
    url = await serve_screening(LISTED)
    sent = command().model_dump(mode="json", by_alias=True)
    sent |= {"creditorAccount": "gb82 west 1234 5698 7654 32", "purpose": "rent", "extra": [1]}
    exchange = await call(component, f"{url}{SCREENINGS_PATH}", sent)
    assert exchange.body == {"result": "hit", "reason": "OFAC SDN"}


async def test_an_empty_list_clears_everything(
    serve_screening: ServeScreening, component: HttpComponent
) -> None:
    url = await serve_screening("")
    exchange = await call(component, f"{url}{SCREENINGS_PATH}", command(LISTED_DEBTOR))
    assert exchange.body == {"result": "clear"}


async def test_a_body_that_is_no_command_is_a_400_problem_naming_the_fields(
    serve_screening: ServeScreening, component: HttpComponent
) -> None:
    url = await serve_screening(LISTED)
    body = {"orderId": "order-1", "debtorAccount": "DE89 37!", "amount": "1", "currency": "EUR"}
    with pytest.raises(HttpClientError) as refused:
        await call(component, f"{url}{SCREENINGS_PATH}", body)
    assert refused.value.status == 400
    problem = refused.value.body
    assert problem.keys() >= PROBLEM_KEYS
    assert problem["status"] == 400
    assert problem["instance"] == SCREENINGS_PATH
    assert problem["detail"].startswith("the body is no execute-payment command")
    assert {error["field"] for error in problem["errors"]} == {"debtorAccount", "creditorAccount"}


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b'{"orderId": "order-1",', "malformed JSON body"),
        (b"[1, 2]", "the body is no execute-payment command"),
        (b'"clear"', "the body is no execute-payment command"),
        (b"", "malformed JSON body"),
        (b'{"orderId": "a", "orderId": "b"}', "ambiguous json body"),
        (b'{"schemaVersion": 2, "orderId": "a"}', "the body is no execute-payment command"),
    ],
)
async def test_a_body_that_is_not_a_json_command_is_a_400_problem(
    serve_screening: ServeScreening, raw: bytes, detail: str
) -> None:
    url = await serve_screening(LISTED)
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{url}{SCREENINGS_PATH}", data=raw, headers={"Content-Type": "application/json"}
        ) as response,
    ):
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        problem = await response.json(content_type=None)
    assert problem.keys() >= PROBLEM_KEYS
    assert problem["detail"].startswith(detail)


async def test_a_body_not_sent_as_json_is_a_415_problem(serve_screening: ServeScreening) -> None:
    url = await serve_screening(LISTED)
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"{url}{SCREENINGS_PATH}", data=b"{}", headers={"Content-Type": "text/plain"}
        ) as response,
    ):
        assert response.status == 415
        assert response.content_type == "application/problem+json"


async def test_health_is_up(serve_screening: ServeScreening) -> None:
    url = await serve_screening(LISTED)
    async with aiohttp.ClientSession() as client, client.get(f"{url}/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "UP"}


# -- through a route's enrich step ---------------------------------------------------------------
REDELIVERIES = 2
ROUTE_FILE = """\
- route:
    id: pay
    from:
      uri: direct:pay
      steps:
        - enrich:
            expression: {{constant: "{url}{path}?timeout=5"}}
            aggregationStrategy: "#class:payments.screening.verdict:ScreeningVerdict"
            aggregateOnException: true
        - to: mock:bank
"""


@pytest.fixture
async def engines() -> AsyncIterator[list[Engine]]:
    started: list[Engine] = []
    yield started
    for engine in started:
        await engine.stop()


async def screened_route(engines: list[Engine], url: str, paid: list[Any]) -> Engine:
    """``direct:pay``: screen the command, then "pay" it (``paid`` gets its body); every
    error is redelivered ``REDELIVERIES`` times, unless it is NonRetryable."""
    builder = RouteBuilder()
    (
        builder.from_("direct:pay")
        .route_id("pay")
        .error_handler(default_error_handler(RedeliveryPolicy(REDELIVERIES, redelivery_delay=0)))
        .enrich(
            f"{url}{SCREENINGS_PATH}?timeout=5", ScreeningVerdict(), aggregate_on_exception=True
        )
        .process(lambda exchange: paid.append(exchange.body))
    )
    engine = Engine()
    engine.add_routes(builder)
    await engine.start()
    engines.append(engine)
    return engine


async def test_a_clear_command_goes_on_to_the_bank_as_it_was(
    serve_screening: ServeScreening, engines: list[Engine]
) -> None:
    paid: list[Any] = []
    engine = await screened_route(engines, await serve_screening(LISTED), paid)
    exchange = await engine.send("direct:pay", command())
    assert exchange.exception is None
    assert paid == [command()]
    assert headers.HTTP_STATUS not in exchange.headers  # the screening call's own


async def test_a_hit_fails_the_exchange_before_the_bank_never_redelivered(
    serve_screening: ServeScreening, engines: list[Engine]
) -> None:
    paid: list[Any] = []
    engine = await screened_route(engines, await serve_screening(LISTED), paid)
    exchange = await engine.send("direct:pay", command(creditor=LISTED_CREDITOR))
    assert isinstance(exchange.exception, ScreeningHit)
    assert paid == []
    assert not exchange.headers.get(headers.REDELIVERY_COUNTER)
    assert failure_reason(exchange.exception, 1) == "refused by sanctions screening: OFAC SDN"


async def test_a_stopped_service_is_unavailable_and_redelivered(
    engines: list[Engine],
) -> None:
    runner = web.AppRunner(create_screening_app(ScreeningSettings()), shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    paid: list[Any] = []
    engine = await screened_route(engines, f"http://127.0.0.1:{runner.addresses[0][1]}", paid)
    assert (await engine.send("direct:pay", command())).exception is None
    await runner.cleanup()  # the service stops

    exchange = await engine.send("direct:pay", command())

    unavailable = exchange.exception
    assert isinstance(unavailable, ScreeningUnavailable)
    assert isinstance(unavailable.__cause__, HttpNoResponse)
    assert exchange.headers[headers.REDELIVERY_COUNTER] == REDELIVERIES
    assert paid == [command()]  # the first one only
    assert failure_reason(unavailable, REDELIVERIES + 1) == (
        "sanctions screening unavailable after 3 attempts"
    )


async def test_the_route_file_step_screens_with_the_class_it_names(
    serve_screening: ServeScreening, engines: list[Engine], tmp_path: Path
) -> None:
    url = await serve_screening(LISTED)
    path = tmp_path / "pay.yaml"
    path.write_text(ROUTE_FILE.format(url=url, path=SCREENINGS_PATH), encoding="utf-8")
    engine = Engine()
    engine.add_routes(load_routes(path))
    await engine.start()
    engines.append(engine)

    clear = await engine.send("direct:pay", command())
    hit = await engine.send("direct:pay", command(debtor=LISTED_DEBTOR))

    assert clear.exception is None
    assert clear.body == command()
    assert isinstance(hit.exception, ScreeningHit)
    assert hit.exception.reason == "EU consolidated list"


async def test_a_call_that_fails_hands_the_strategy_no_response(
    component: HttpComponent,
) -> None:
    """What ``aggregateOnException`` hands the strategy once the service is down."""
    runner = web.AppRunner(create_screening_app(ScreeningSettings()), shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    uri = f"http://127.0.0.1:{runner.addresses[0][1]}{SCREENINGS_PATH}?timeout=5"
    assert (await call(component, uri, command())).body == {"result": "clear"}
    await runner.cleanup()
    original = Exchange.of(command())
    resource = original.copy()
    with pytest.raises(HttpNoResponse) as refused:
        await call(component, uri, resource.body)
    resource.exception = refused.value

    merged = ScreeningVerdict()(original, resource)

    assert merged is original
    assert isinstance(original.exception, ScreeningUnavailable)
    assert original.exception.__cause__ is refused.value
    assert original.body == command()


def test_the_route_file_class_reference_makes_a_strategy() -> None:
    strategy = bean("#class:payments.screening.verdict:ScreeningVerdict", {})
    assert isinstance(strategy, ScreeningVerdict)


# -- the verdict, on exchanges -------------------------------------------------------------------
def answered(original: Exchange, body: Any, status: int | None = 200) -> Exchange:
    """The resource exchange of a call that answered ``body`` with ``status``."""
    resource = original.copy()
    resource.body = body
    if status is not None:
        resource.headers[headers.HTTP_STATUS] = status
        resource.headers[headers.HTTP_CONTENT_TYPE] = "application/json"
    return resource


def test_a_clear_answer_keeps_the_exchange_as_it_was() -> None:
    original = Exchange.of(command(), {"kept": "yes"})
    merged = ScreeningVerdict()(original, answered(original, {"result": "clear", "more": 1}))
    assert merged is original
    assert original.exception is None
    assert original.body == command()
    assert original.headers == {"kept": "yes"}


def test_a_hit_fails_the_exchange_with_its_reason_never_redelivered() -> None:
    original = Exchange.of(command())
    merged = ScreeningVerdict()(original, answered(original, {"result": "hit", "reason": "PEP"}))
    assert merged is original
    hit = original.exception
    assert isinstance(hit, ScreeningHit)
    assert isinstance(hit, NonRetryable)
    assert hit.reason == "PEP"
    assert hit.in_payment_terms(1) == "refused by sanctions screening: PEP"
    assert failure_reason(hit, 2) == "refused by sanctions screening: PEP"
    assert original.body == command()


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("listed\r\nsee\x1b[31m file", "refused by sanctions screening: listed see [31m file"),
        ("\u202eevil\u202c list", "refused by sanctions screening: evil list"),
        ("x" * 500, "refused by sanctions screening: " + "x" * (REASON_SHOWN - 1) + "…"),
        ("", "refused by sanctions screening (no reason given)"),
        ("\x00\t\n", "refused by sanctions screening (no reason given)"),
    ],
)
def test_a_hit_reason_is_shown_printable_on_one_line_and_short(reason: str, shown: str) -> None:
    original = Exchange.of(command())
    ScreeningVerdict()(original, answered(original, {"result": "hit", "reason": reason}))
    assert isinstance(original.exception, ScreeningHit)
    assert original.exception.in_payment_terms(1) == shown


def test_a_hit_without_a_reason_is_still_a_hit() -> None:
    original = Exchange.of(command())
    ScreeningVerdict()(original, answered(original, {"result": "hit"}))
    assert isinstance(original.exception, ScreeningHit)
    assert failure_reason(original.exception, 1) == (
        "refused by sanctions screening (no reason given)"
    )


URL = "http://screener:s3cret@127.0.0.1:9/screenings"


@pytest.mark.parametrize(
    "error",
    [
        HttpNoResponse(URL, "ClientConnectorError: connection refused"),
        HttpTimeout(URL, 2.5),
        HttpServerError.for_status(URL, 503, {"detail": "maintenance"}),
        HttpClientError.for_status(URL, 429, {"detail": "slow down"}),
        ValueError(f"{URL}: malformed answer (Expecting value)"),
    ],
    ids=["no-response", "timeout", "5xx", "4xx", "malformed-answer"],
)
def test_a_failed_call_is_unavailable_retryable_and_says_nothing_technical(
    error: Exception,
) -> None:
    original = Exchange.of(command())
    resource = original.copy()
    resource.exception = error

    merged = ScreeningVerdict()(original, resource)

    assert merged is original
    unavailable = original.exception
    assert isinstance(unavailable, ScreeningUnavailable)
    assert not isinstance(unavailable, NonRetryable)
    assert unavailable.__cause__ is error
    assert "127.0.0.1:9" in str(unavailable)  # for operators, credentials masked
    assert "s3cret" not in str(unavailable)
    assert original.body == command()
    for attempts, terms in [
        (1, "sanctions screening unavailable after 1 attempt"),
        (4, "sanctions screening unavailable after 4 attempts"),
    ]:
        assert unavailable.in_payment_terms(attempts) == terms
        assert failure_reason(unavailable, attempts) == terms


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"result": "maybe"}, 200),
        ({"result": "hit", "reason": 42}, 200),
        ({"verdict": "clear"}, 200),
        ({}, 200),
        ([{"result": "clear"}], 200),
        ("clear", 200),
        (b"\x00clear", 200),
        (None, 204),
        ({"result": "clear"}, 503),  # an error answer kept (throwExceptionOnFailure=false)
        ({"result": "clear"}, 302),
    ],
)
def test_an_answer_that_is_no_verdict_is_unavailable(body: Any, status: int) -> None:
    original = Exchange.of(command())
    ScreeningVerdict()(original, answered(original, body, status))
    unavailable = original.exception
    assert isinstance(unavailable, ScreeningUnavailable)
    assert str(unavailable).startswith("sanctions screening gave no verdict: ")
    assert unavailable.in_payment_terms(2) == "sanctions screening unavailable after 2 attempts"
    assert original.body == command()


# -- the list's settings ---------------------------------------------------------------------------
def test_the_list_is_read_into_reasons_by_electronic_account() -> None:
    assert parse_listed(LISTED) == {
        LISTED_DEBTOR: "EU consolidated list",
        LISTED_CREDITOR: "OFAC SDN",
    }
    assert parse_listed("DE89370400440532013000=list=A; ;") == {CLEAN_DEBTOR: "list=A"}
    assert parse_listed("") == {}
    assert parse_listed({"de89 3704 0044 0532 0130 00": "PEP"}) == {CLEAN_DEBTOR: "PEP"}


def test_the_list_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_LISTED", LISTED)
    assert load_screening_settings().listed == parse_listed(LISTED)
    monkeypatch.delenv("SCREENING_LISTED")
    assert load_screening_settings().listed == {}


@pytest.mark.parametrize(
    ("listed", "problem"),
    [
        (
            f"{CLEAN_DEBTOR}=ok;{LISTED_DEBTOR}",
            f"entry 2 ('{LISTED_DEBTOR}'): no '=' between the account and its reason",
        ),
        ("=sanctioned", "entry 1 ('=sanctioned'): the account must be 1 to 34 ASCII letters"),
        ("DE89-3704=sanctioned", "U+002D (HYPHEN-MINUS) is not allowed"),
        (f"{CLEAN_DEBTOR}=", f"entry 1 ('{CLEAN_DEBTOR}='): no reason after '='"),
        (f"{CLEAN_DEBTOR}=a\x07b", "the reason has a control or format character"),
        (f"{CLEAN_DEBTOR}={'r' * (REASON_SHOWN + 1)}", "the reason is longer than 200 characters"),
        (
            f"{CLEAN_DEBTOR}=one;de89 3704 0044 0532 0130 00=two",
            f"entry 2 ('de89 3704 0044 0532 0130 00=two'): {CLEAN_DEBTOR} is listed already",
        ),
    ],
)
def test_a_bad_entry_is_a_settings_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, listed: str, problem: str
) -> None:
    monkeypatch.setenv("SCREENING_LISTED", listed)
    with pytest.raises(InvalidSettings) as invalid:
        load_screening_settings()
    (line,) = str(invalid.value).splitlines()
    assert line.startswith("SCREENING_LISTED: ")
    assert problem in line


def test_a_screening_variable_no_setting_reads_is_a_settings_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCREENING_LISTD", f"{CLEAN_DEBTOR}=x")
    with pytest.raises(InvalidSettings) as invalid:
        load_screening_settings()
    assert str(invalid.value) == (
        "SCREENING_LISTD: no setting of this service reads it (did you mean SCREENING_LISTED?)"
    )


# -- python app.py screening -------------------------------------------------------------------
def test_app_screening_with_a_bad_list_stops_naming_the_entry(tmp_path: Path) -> None:
    result = start(tmp_path, "screening", SCREENING_LISTED="NOPE")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines() == [
        "app.py: invalid settings:",
        "SCREENING_LISTED: entry 1 ('NOPE'): no '=' between the account and its reason",
    ]


async def test_app_screening_serves_the_list_on_http_port(tmp_path: Path) -> None:
    env = {"SCREENING_LISTED": LISTED, "LOG_LEVEL": "WARNING"}
    async with service_processes(tmp_path) as processes:
        screening = await processes.start("screening", env)
        await screening.ready("/health")
        sent = command(creditor=LISTED_CREDITOR).model_dump(mode="json", by_alias=True)
        async with (
            aiohttp.ClientSession() as client,
            client.post(f"{screening.url}{SCREENINGS_PATH}", json=sent) as response,
        ):
            assert response.status == 200
            assert await response.json() == {"result": "hit", "reason": "OFAC SDN"}
        assert await screening.stop() == 0
