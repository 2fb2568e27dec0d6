"""A simulated bank: a ledger that honours idempotency keys, with seeded failures.

It stands in for the real payment network in tests, benchmarks and ``app.py all``.
The first successful payment for a key books one ledger entry; every later call
with that key gets the same payment back without booking again, also while the
first is still in flight (callers join its attempt), so a redelivered or re-run
command never pays twice. A rejection is remembered per key; a transient failure
books nothing. Outcomes are drawn from a seeded ``random.Random``.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from endpoints.exchange import utcnow
from payments.bank.latency import Latency
from payments.gateway.bank import Payment, PaymentRequest
from payments.gateway.errors import PaymentRejected, TransientGatewayError

REJECTION_REASONS: Sequence[str] = ("insufficient funds", "account blocked", "unknown creditor")


@dataclass(frozen=True)
class Booking:
    payment: Payment
    replayed: bool  # the key was paid (or being paid) before: nothing new was booked


class SimulatedBank:
    def __init__(
        self,
        latency: float | Latency = 0.0,
        transient_failure_rate: float = 0.0,
        permanent_failure_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        rates = (transient_failure_rate, permanent_failure_rate)
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("failure rates must be within [0, 1] and add up to at most 1")
        self.latency = latency if isinstance(latency, Latency) else Latency(latency)
        self.transient_failure_rate = transient_failure_rate
        self.permanent_failure_rate = permanent_failure_rate
        self._rng = random.Random(seed)
        self._entries: list[Payment] = []
        self._by_key: dict[str, Payment] = {}
        self._rejected: dict[str, str] = {}  # reason by key
        self._in_flight: dict[str, asyncio.Task[Payment]] = {}

    async def pay(self, idempotency_key: str, request: PaymentRequest) -> Payment:
        booking = await self.execute(idempotency_key, request)
        return booking.payment

    async def execute(self, idempotency_key: str, request: PaymentRequest) -> Booking:
        """Pay, and say whether this call booked the payment or replayed an earlier one.

        Raises ``TransientGatewayError`` (nothing booked, try again) or
        ``PaymentRejected`` (final for this key)."""
        key = idempotency_key
        if (booked := self._by_key.get(key)) is not None:
            return Booking(_same_request(booked, request), replayed=True)
        if (reason := self._rejected.get(key)) is not None:
            raise PaymentRejected(key, reason)
        attempt = self._in_flight.get(key)
        if attempt is None:
            attempt = asyncio.create_task(self._attempt(key, request))
            self._in_flight[key] = attempt
            attempt.add_done_callback(partial(self._settled, key))
            # Shielded: a caller giving up (timeout) does not stop the bank booking.
            return Booking(await asyncio.shield(attempt), replayed=False)
        return Booking(_same_request(await asyncio.shield(attempt), request), replayed=True)

    async def _attempt(self, key: str, request: PaymentRequest) -> Payment:
        if seconds := self.latency.draw(self._rng):
            await asyncio.sleep(seconds)
        draw = self._rng.random()
        if draw < self.permanent_failure_rate:
            self._rejected[key] = reason = self._rng.choice(REJECTION_REASONS)
            raise PaymentRejected(key, reason)
        if draw < self.permanent_failure_rate + self.transient_failure_rate:
            raise TransientGatewayError(f"bank unavailable; payment {key!r} not booked")
        payment = Payment(
            **request.model_dump(),
            reference=uuid.uuid4().hex,
            idempotency_key=key,
            booked_at=utcnow(),
        )
        self._entries.append(payment)
        self._by_key[key] = payment
        return payment

    def _settled(self, key: str, attempt: asyncio.Task[Payment]) -> None:
        del self._in_flight[key]
        if not attempt.cancelled():
            attempt.exception()  # retrieved: callers that gave up must not leave it unread

    def ledger(self, offset: int = 0, limit: int | None = None) -> list[Payment]:
        """The booked payments in booking order: every one, or ``limit`` from ``offset``
        on (the ledger only grows, so pages by offset neither skip nor repeat)."""
        return self._entries[offset : None if limit is None else offset + limit]

    def booked(self) -> int:
        """How many payments the ledger holds."""
        return len(self._entries)

    def entries_for(self, idempotency_key: str) -> list[Payment]:
        return [entry for entry in self._entries if entry.idempotency_key == idempotency_key]


def _same_request(payment: Payment, request: PaymentRequest) -> Payment:
    """The earlier payment, if ``request`` asks for the same one it paid."""
    if PaymentRequest.model_validate(payment.model_dump()) != request:
        raise PaymentRejected(
            payment.idempotency_key, "idempotency key already used for another payment"
        )
    return payment
