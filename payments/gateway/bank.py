"""A bank as the gateway speaks to it: what it is asked to pay and what it answers
(``PaymentRequest``, ``Payment``), over HTTP at ``PAYMENTS_PATH`` with the order id as
``Idempotency-Key``, or in process (``Bank``). The simulated bank (``payments.bank``)
and any real one behind an adapter answer alike."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from payments.domain.model import CamelModel

# A bank's service: where payments are asked for, and the header naming the payment's key.
PAYMENTS_PATH = "/payments"
IDEMPOTENCY_KEY = "Idempotency-Key"


class PaymentRequest(CamelModel):
    """What the bank is asked to pay (the body of ``POST /payments``)."""

    debtor_account: str
    creditor_account: str
    amount: Decimal
    currency: str
    end_to_end_id: str | None = None  # the client's reference, passed on unchanged
    remittance_information: str | None = None  # what the creditor reads


class Payment(PaymentRequest):
    """A booked ledger entry."""

    reference: str
    idempotency_key: str
    booked_at: datetime


class Bank(Protocol):
    """What the ``gateway:`` component pays through: in process or over HTTP."""

    async def pay(self, idempotency_key: str, request: PaymentRequest) -> Payment: ...
