"""The ``gateway:`` component: pay an execute-payment command through a bank.

``gateway:simulated`` pays the bank registered on the component under that name,
in process (``python app.py all`` needs no other process); ``gateway:bank?url=
http://127.0.0.1:9000`` calls a bank service over HTTP. Either way the producer
reads an ``ExecutePaymentCommand`` (or a dict of its fields) from the body, pays it
with the order id as idempotency key, and replaces the body with the ``Payment``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from components.base import Component
from components.http import HttpComponent
from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.errors import EndpointError
from payments.gateway.bank import Bank
from payments.gateway.client import RemoteBank
from payments.gateway.errors import InvalidPaymentCommand, TransientGatewayError
from payments.gateway.options import GatewayOptions
from payments.gateway.service import PAYMENTS_PATH
from payments.model import ExecutePaymentCommand
from routes.exchange import Exchange

# Written by the producer: the bank's reference of the payment.
GATEWAY_REFERENCE = "gateway.reference"


class GatewayComponent(Component[GatewayOptions]):
    options_model = GatewayOptions

    def __init__(self, banks: Mapping[str, Bank] | None = None) -> None:
        """``banks``: the in-process banks, by the name an endpoint gives them."""
        self.banks = dict(banks or {})
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
        return GatewayEndpoint(uri, bank, options.timeout)

    async def stop(self) -> None:
        await self._http.stop()


class GatewayEndpoint(Endpoint):
    def __init__(self, uri: str, bank: Bank, timeout: float) -> None:
        super().__init__(uri)
        self.bank = bank
        self.timeout = timeout

    def create_producer(self) -> Producer:
        return GatewayProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(f"{self.uri}: a gateway is paid through, not consumed from")


class GatewayProducer(Producer):
    def __init__(self, endpoint: GatewayEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        command = _command(exchange.body)
        endpoint = self.endpoint
        try:
            async with asyncio.timeout(endpoint.timeout):
                payment = await endpoint.bank.pay(
                    command.order_id,
                    command.debtor_account,
                    command.creditor_account,
                    command.amount,
                    command.currency,
                )
        except TimeoutError:
            raise TransientGatewayError(
                f"{endpoint.uri}: no answer within {endpoint.timeout}s"
            ) from None
        exchange.body = payment
        exchange.headers[GATEWAY_REFERENCE] = payment.reference


def _command(body: Any) -> ExecutePaymentCommand:
    if isinstance(body, ExecutePaymentCommand):
        return body
    try:
        return ExecutePaymentCommand.model_validate(body)
    except ValidationError as error:
        raise InvalidPaymentCommand(f"the body is no execute-payment command: {error}") from None
