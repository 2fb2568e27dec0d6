"""A bank service called over HTTP (``payments.bank`` or a real one like it).

The call goes through the ``http:`` component's client producer; its outcomes
become the gateway's: no answer or a 5xx (and 408/429) is a transient failure, any
other 4xx a rejection whose reason is the problem's ``detail``; no answer within the
timeout is a ``GatewayTimeout``.
"""

from __future__ import annotations

from typing import Any

from components.http import HttpClientError, HttpNoResponse, HttpServerError, HttpTimeout
from components.http.headers import REQUEST_HEADER_PREFIX
from endpoints.base import Producer
from endpoints.exchange import Exchange
from payments.gateway.bank import IDEMPOTENCY_KEY, Payment, PaymentRequest
from payments.gateway.errors import GatewayTimeout, PaymentRejected, TransientGatewayError

# Client errors that mean "not now" rather than "never".
RETRYABLE_CLIENT_STATUSES = frozenset({408, 429})


class RemoteBank:
    def __init__(self, producer: Producer) -> None:
        """``producer``: an ``http://host:port/payments?method=POST`` producer."""
        self._producer = producer

    async def pay(self, idempotency_key: str, request: PaymentRequest) -> Payment:
        exchange = Exchange.of(request, {REQUEST_HEADER_PREFIX + IDEMPOTENCY_KEY: idempotency_key})
        try:
            await self._producer.process(exchange)
        except HttpTimeout as error:
            raise GatewayTimeout(str(error), error.timeout) from error
        except (HttpNoResponse, HttpServerError) as error:
            raise TransientGatewayError(str(error)) from error
        except HttpClientError as error:
            if error.status in RETRYABLE_CLIENT_STATUSES:
                raise TransientGatewayError(str(error)) from error
            raise PaymentRejected(idempotency_key, _detail(error.body)) from error
        return Payment.model_validate(exchange.body)


def _detail(problem: Any) -> str:
    """The problem's ``detail``: the bank's reason ("" when it gave none)."""
    detail = problem.get("detail") if isinstance(problem, dict) else None
    return detail if isinstance(detail, str) else ""
