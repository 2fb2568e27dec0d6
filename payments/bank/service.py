"""The simulated bank as its own small web service, so the orchestrator can pay over
HTTP as it would pay a real bank (``gateway:bank?url=...``).

``POST /payments`` (header ``Idempotency-Key``) answers 201 with the payment, 200
when the key was paid before, 503 when the bank is unavailable (try again) and 422
when the payment is rejected, errors as problem details; ``GET /ledger`` lists
every booked payment (``?offset=&limit=``: a page of them, in booking order),
``GET /health`` answers 200 and ``GET /metrics`` counts the payment requests by
outcome for Prometheus.
"""

from __future__ import annotations

import logging
import re
import sys
from http import HTTPStatus
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from components.http.bodies import check_media_type
from components.http.codec import JSON
from components.http.problem import FieldError, ProblemError, problem_middleware
from components.http.server import plain_answers, single_query_middleware
from config.settings import InvalidSettings, Settings, above_the_median, load_prefixed
from endpoints.json_codec import decode_json, encode_json
from observability.metrics import metrics_handler
from payments.bank.latency import Latency
from payments.bank.simulated import SimulatedBank
from payments.gateway.bank import IDEMPOTENCY_KEY, PAYMENTS_PATH, PaymentRequest
from payments.gateway.errors import PaymentRejected, TransientGatewayError

_PREFIX = "GATEWAY_"
BANK = web.AppKey("bank", SimulatedBank)
_PAGE_PARAMETERS = frozenset({"offset", "limit"})
_WHOLE = re.compile(r"[0-9]{1,9}")  # ASCII digits: int() also takes "²" and " 1"


class BankMetrics:
    """The simulated bank's own metrics, in a registry of each app's."""

    def __init__(self, bank: SimulatedBank) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "simulated_bank_payment_requests",
            "Payment requests by outcome: booked, replayed (the key was paid before), "
            "unavailable (a simulated outage, 503), rejected (422).",
            ["outcome"],
            registry=self.registry,
        )
        ledger = Gauge("simulated_bank_ledger_entries", "Payments booked.", registry=self.registry)
        ledger.set_function(bank.booked)


METRICS = web.AppKey("metrics", BankMetrics)


class BankSettings(BaseSettings):
    """``GATEWAY_*`` environment variables (``load_bank_settings`` checks them all)."""

    model_config = SettingsConfigDict(env_prefix=_PREFIX, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=9000, ge=0, le=65535)
    latency: float = Field(default=0.0, ge=0)
    latency_p99: float | None = Field(default=None, gt=0)  # log-normal, by p50 and p99
    latency_cap: float | None = Field(default=None, gt=0)
    transient_failure_rate: float = 0.0
    permanent_failure_rate: float = 0.0
    seed: int | None = None

    @field_validator("latency_p99", "latency_cap")
    @classmethod
    def _above_the_median(cls, value: float | None, info: ValidationInfo) -> float | None:
        return above_the_median(value, info.data.get("latency"), "GATEWAY_LATENCY")

    def bank(self) -> SimulatedBank:
        latency = Latency(self.latency, self.latency_p99, self.latency_cap)
        return SimulatedBank(
            latency, self.transient_failure_rate, self.permanent_failure_rate, self.seed
        )


def load_bank_settings() -> BankSettings:
    """The simulated bank's settings; InvalidSettings names every ``GATEWAY_*`` variable
    that is wrong or that neither the bank nor the services read (one environment
    often serves both: the services' ``GATEWAY_URL`` is no mistake here)."""
    of_services = {name.upper() for name in Settings.model_fields if name.startswith("gateway_")}
    return load_prefixed(BankSettings, _PREFIX, of_services)


def create_bank_app(bank: SimulatedBank) -> web.Application:
    app = web.Application(middlewares=[problem_middleware, single_query_middleware])
    plain_answers(app)
    app[BANK] = bank
    app[METRICS] = BankMetrics(bank)
    app.router.add_post(PAYMENTS_PATH, pay)
    app.router.add_get("/ledger", ledger)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", metrics_handler(app[METRICS].registry))
    return app


def _json(document: Any, status: int = HTTPStatus.OK) -> web.Response:
    return web.Response(status=status, body=encode_json(document), content_type=JSON)


async def pay(request: web.Request) -> web.Response:
    key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
    if not key:
        raise ProblemError(HTTPStatus.BAD_REQUEST, f"the {IDEMPOTENCY_KEY} header is required")
    body = await request.read()
    check_media_type(request, "json")
    try:
        document = decode_json(body)
    except ValueError as error:
        raise ProblemError(HTTPStatus.BAD_REQUEST, f"malformed JSON body: {error}") from None
    payment = PaymentRequest.model_validate(document)  # invalid fields answer 422
    requests = request.app[METRICS].requests
    try:
        booking = await request.app[BANK].execute(key, payment)
    except TransientGatewayError as error:
        requests.labels("unavailable").inc()
        raise ProblemError(HTTPStatus.SERVICE_UNAVAILABLE, str(error)) from None
    except PaymentRejected as error:
        requests.labels("rejected").inc()
        raise ProblemError(
            HTTPStatus.UNPROCESSABLE_ENTITY, error.reason, title="Payment rejected"
        ) from None
    requests.labels("replayed" if booking.replayed else "booked").inc()
    return _json(booking.payment, HTTPStatus.OK if booking.replayed else HTTPStatus.CREATED)


async def ledger(request: web.Request) -> web.Response:
    """``count``: every booking in the ledger; ``entries``: the page asked for."""
    bank, query = request.app[BANK], request.query
    errors = [
        FieldError(name, "must be a whole number, at least 0")
        for name in _PAGE_PARAMETERS & query.keys()
        if not _WHOLE.fullmatch(query[name])
    ]
    errors += [
        FieldError(name, "unknown query parameter") for name in query.keys() - _PAGE_PARAMETERS
    ]
    if errors:
        raise ProblemError(HTTPStatus.BAD_REQUEST, "invalid query", errors=errors)
    limit = int(query["limit"]) if "limit" in query else None
    entries = bank.ledger(int(query.get("offset", 0)), limit)
    return _json({"count": bank.booked(), "entries": entries})


async def health(_: web.Request) -> web.Response:
    return _json({"status": "UP"})


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_bank_settings()
    except InvalidSettings as error:
        sys.exit(f"payments.bank: invalid settings:\n{error}")
    web.run_app(create_bank_app(settings.bank()), host=settings.host, port=settings.port)
