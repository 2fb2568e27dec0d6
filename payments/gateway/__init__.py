"""``gateway:`` — how the processor service pays an execution command: through a bank in
process or over HTTP (``client``), what a bank is asked and answers (``bank``), and how
a payment can fail (``errors``)."""

from payments.gateway.bank import Bank, Payment, PaymentRequest
from payments.gateway.component import GATEWAY_REFERENCE, GatewayComponent
from payments.gateway.errors import (
    GatewayError,
    GatewayTimeout,
    InvalidPaymentCommand,
    PaymentRejected,
    TransientGatewayError,
)

__all__ = [
    "GATEWAY_REFERENCE",
    "Bank",
    "GatewayComponent",
    "GatewayError",
    "GatewayTimeout",
    "InvalidPaymentCommand",
    "Payment",
    "PaymentRejected",
    "PaymentRequest",
    "TransientGatewayError",
]
