"""``gateway:`` — paying execute-payment commands through a bank, simulated in process
or called over HTTP, and the simulated bank itself (ledger, failures, web service)."""

from payments.gateway.bank import Bank, Booking, Payment, PaymentRequest, SimulatedBank
from payments.gateway.component import GATEWAY_REFERENCE, GatewayComponent
from payments.gateway.errors import (
    GatewayError,
    GatewayTimeout,
    InvalidPaymentCommand,
    PaymentRejected,
    TransientGatewayError,
)
from payments.gateway.service import GatewaySettings, create_gateway_app, load_gateway_settings

__all__ = [
    "GATEWAY_REFERENCE",
    "Bank",
    "Booking",
    "GatewayComponent",
    "GatewayError",
    "GatewaySettings",
    "GatewayTimeout",
    "InvalidPaymentCommand",
    "Payment",
    "PaymentRejected",
    "PaymentRequest",
    "SimulatedBank",
    "TransientGatewayError",
    "create_gateway_app",
    "load_gateway_settings",
]
