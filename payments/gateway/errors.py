"""How a payment through the gateway can fail, one class per decision a route makes:
redeliver (``TransientGatewayError``) or give up (``PaymentRejected``, and a command
that cannot be read, both ``NonRetryable``)."""

from __future__ import annotations

from endpoints.redelivery_policy import NonRetryable


class GatewayError(Exception):
    """Base of every gateway failure."""


class TransientGatewayError(GatewayError):
    """The bank could not answer now (unavailable, timed out); nothing was booked by
    this attempt, so trying again with the same idempotency key is safe."""


class PaymentRejected(GatewayError, NonRetryable):
    """The bank refused the payment for good; the same key is refused again."""

    def __init__(self, idempotency_key: str, reason: str) -> None:
        super().__init__(f"payment {idempotency_key!r} rejected: {reason}")
        self.idempotency_key = idempotency_key
        self.reason = reason


class InvalidPaymentCommand(GatewayError, NonRetryable):
    """The exchange body is not an execute-payment command; no retry can fix that."""
