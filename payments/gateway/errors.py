"""How a payment through the gateway can fail, one class per decision a route makes:
redeliver (``TransientGatewayError``) or give up (``PaymentRejected``, and a command
that cannot be read, both ``NonRetryable``). Each says in the payment's terms what a
client reads of it (``payments.domain.failures``); its message is for operators."""

from __future__ import annotations

from endpoints.redelivery_policy import NonRetryable
from payments.domain.failures import PaymentFailure, attempts_text, shown_reason


class GatewayError(PaymentFailure):
    """Base of every gateway failure."""


class TransientGatewayError(GatewayError):
    """The bank could not answer now (unavailable, timed out); nothing was booked by
    this attempt, so trying again with the same idempotency key is safe."""

    def in_payment_terms(self, attempts: int) -> str:
        return f"bank unavailable after {attempts_text(attempts)}"


class GatewayTimeout(TransientGatewayError):
    """The bank did not answer within ``timeout`` seconds."""

    def __init__(self, message: str, timeout: float) -> None:
        super().__init__(message)
        self.timeout = timeout

    def in_payment_terms(self, attempts: int) -> str:
        return f"bank did not answer within {self.timeout:g} s ({attempts_text(attempts)})"


class PaymentRejected(GatewayError, NonRetryable):
    """The bank refused the payment for good; the same key is refused again. ``reason``:
    the bank's own words, if it gave any."""

    def __init__(self, idempotency_key: str, reason: str) -> None:
        super().__init__(f"payment {idempotency_key!r} rejected: {reason or 'no reason given'}")
        self.idempotency_key = idempotency_key
        self.reason = reason

    def in_payment_terms(self, attempts: int) -> str:
        shown = shown_reason(self.reason)
        if not shown:
            return "rejected by the bank (no reason given)"
        return f"rejected by the bank: {shown}"


class InvalidPaymentCommand(GatewayError, NonRetryable):
    """The exchange body is not an execute-payment command; no retry can fix that."""

    def in_payment_terms(self, attempts: int) -> str:
        return "the payment instruction could not be read"
