"""The ``gateway:`` component: pay an execute-payment command through a bank.

``gateway:simulated`` pays the bank registered on the component under that name,
in process (``python app.py all`` needs no other process); ``gateway:bank?url=
http://127.0.0.1:9000`` calls a bank service over HTTP. Either way the producer
reads an ``ExecutePaymentCommand`` (or a dict of its fields) from the body, pays it
with the order id as idempotency key, and replaces the body with the ``Payment``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, Protocol

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from components.http import HttpComponent
from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.component import Component
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.tracing import start_span
from endpoints.uri import mask_credentials
from payments.domain.messages import ExecutePaymentCommand, UnreadableMessage, read_message
from payments.gateway.bank import PAYMENTS_PATH, Bank, Payment, PaymentRequest
from payments.gateway.client import RemoteBank
from payments.gateway.errors import (
    GatewayTimeout,
    InvalidPaymentCommand,
    PaymentRejected,
    TransientGatewayError,
)
from payments.gateway.options import GatewayOptions

# Written by the producer: the bank's reference of the payment.
GATEWAY_REFERENCE = "gateway.reference"

tracer = trace.get_tracer("payments.gateway")


class CallMetrics(Protocol):
    """Where the component counts its calls by outcome (the service's metrics)."""

    def gateway_call(self, outcome: str, seconds: float) -> None: ...


class GatewayComponent(Component[GatewayOptions]):
    options_model = GatewayOptions

    def __init__(
        self, banks: Mapping[str, Bank] | None = None, metrics: CallMetrics | None = None
    ) -> None:
        """``banks``: the in-process banks, by the name an endpoint gives them;
        ``metrics``: where calls are counted by outcome."""
        self.banks = dict(banks or {})
        self.metrics = metrics
        self._http = HttpComponent()  # its client only: nothing is served, it never listens

    def make_endpoint(self, uri: str, path: str, options: GatewayOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "gateway: needs a name (gateway:simulated)")
        if options.url is not None:
            call = f"{options.url.rstrip('/')}{PAYMENTS_PATH}?method=POST&timeout={options.timeout}"
            bank: Bank = RemoteBank(self._http.create_endpoint(call).create_producer())
        elif path in self.banks:
            bank = self.banks[path]
        else:
            known = ", ".join(sorted(self.banks)) or "none"
            raise EndpointError(
                uri, f"no bank named {path!r} in process (known: {known}); or give url=http://..."
            )
        return GatewayEndpoint(uri, bank, options.timeout, self.metrics)

    async def stop(self) -> None:
        await self._http.stop()


class GatewayEndpoint(Endpoint):
    def __init__(
        self, uri: str, bank: Bank, timeout: float, metrics: CallMetrics | None = None
    ) -> None:
        super().__init__(uri)
        self.bank = bank
        self.timeout = timeout
        self.metrics = metrics

    def create_producer(self) -> Producer:
        return GatewayProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(f"{self.uri}: a gateway is paid through, not consumed from")


class GatewayProducer(Producer):
    def __init__(self, endpoint: GatewayEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        """Pay the command; one span and one counted outcome per call."""
        endpoint = self.endpoint
        started = time.perf_counter()
        with start_span(
            tracer,
            "gateway pay",
            kind=SpanKind.CLIENT,
            attributes={"gateway.endpoint": endpoint.uri.split("?", 1)[0]},
            set_status_on_exception=False,
        ) as span:
            try:
                payment = await self._pay(exchange, span)
                outcome = "paid"
            except Exception as error:
                outcome = _outcome(error)
                span.set_status(Status(StatusCode.ERROR, outcome))
                if isinstance(error, TimeoutError):
                    raise GatewayTimeout(
                        f"{mask_credentials(endpoint.uri)}: no answer within {endpoint.timeout:g}s",
                        endpoint.timeout,
                    ) from None
                raise
            finally:
                span.set_attribute("gateway.outcome", outcome)
                if endpoint.metrics is not None:
                    endpoint.metrics.gateway_call(outcome, time.perf_counter() - started)
        exchange.body = payment
        exchange.headers[GATEWAY_REFERENCE] = payment.reference

    async def _pay(self, exchange: Exchange, span: Span) -> Payment:
        command = _command(exchange.body)
        span.set_attribute("payment.order_id", command.order_id)
        async with asyncio.timeout(self.endpoint.timeout):
            return await self.endpoint.bank.pay(
                command.order_id,
                PaymentRequest(
                    debtor_account=command.debtor_account,
                    creditor_account=command.creditor_account,
                    amount=command.amount,
                    currency=command.currency,
                    end_to_end_id=command.end_to_end_id,
                    remittance_information=command.remittance_information,
                ),
            )


def _outcome(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, TransientGatewayError):
        return "transient"
    if isinstance(error, PaymentRejected):
        return "rejected"
    if isinstance(error, InvalidPaymentCommand):
        return "invalid"
    return "error"


def _command(body: Any) -> ExecutePaymentCommand:
    try:
        return read_message(ExecutePaymentCommand, body)
    except UnreadableMessage as error:
        raise InvalidPaymentCommand(f"the body is no execute-payment command: {error}") from None
