"""Why an accepted payment failed, in the payment's own terms.

What a client reads of a failure (the order's ``failureReason``, its history, the
``payment.failed`` event, the console) says what happened to the payment: the bank
refused it and why, the bank was unavailable, it did not answer in time. It never says
how the service is built: no address, credential, library or exception name. The
technical cause stays in the logs and the dead-letter record, for operators.
"""

from __future__ import annotations

# For a failure that cannot say more without saying too much (a bug, an outage inside).
UNEXPLAINED = "payment could not be executed"
# The characters of a counterpart's own reason (the bank's, the sanctions screening's)
# that a client reads.
REASON_SHOWN = 200


class PaymentFailure(Exception):
    """A failure that can tell a client what happened to its payment."""

    def in_payment_terms(self, attempts: int) -> str:
        """What the order says after ``attempts`` attempts ended in this failure."""
        return UNEXPLAINED


def failure_reason(error: BaseException | None, attempts: int) -> str:
    """The reason a client reads for a payment that failed with ``error``."""
    return error.in_payment_terms(attempts) if isinstance(error, PaymentFailure) else UNEXPLAINED


def attempts_text(attempts: int) -> str:
    return f"{attempts} attempt{'' if attempts == 1 else 's'}"


def shown_reason(reason: str) -> str:
    """A counterpart's own reason as a client reads it: printable, on one line, at most
    ``REASON_SHOWN`` characters (a cut one ends with "…"); "" when nothing of it shows."""
    printable = "".join(c if c.isprintable() else " " for c in reason)
    shown = " ".join(printable.split())  # on one line, without control characters
    if len(shown) > REASON_SHOWN:
        shown = shown[: REASON_SHOWN - 1] + "…"
    return shown
