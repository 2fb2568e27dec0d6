"""The processor's side of sanctions screening: what the screening service answers, how
a payment fails on that answer, and the aggregation strategy that reads it.

A route asks the service before it pays, with an enrich step whose call failing still
reaches the strategy::

    - enrich:
        expression: {constant: "http://screening:8080/screenings"}
        aggregationStrategy: "#class:payments.screening.verdict:ScreeningVerdict"
        aggregateOnException: true

``ScreeningVerdict`` keeps the exchange as it was on a clear answer (the body stays the
execution command, for the bank call that follows); on a hit it fails the exchange with
``ScreeningHit`` (never redelivered); when no verdict came — no answer, a timeout, an
error status, an answer that is no verdict — with ``ScreeningUnavailable`` (redelivered
as the route's policy for it says), the call's own error as its ``__cause__``.

It knows no transport: whatever error the call ended in is a verdict not given.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from endpoints.exchange import Exchange
from endpoints.headers import HTTP_STATUS
from endpoints.redelivery_policy import NonRetryable
from endpoints.uri import mask_credentials
from payments.domain.failures import PaymentFailure, attempts_text, shown_reason

# Where the screening service takes a command to screen (``POST``).
SCREENINGS_PATH = "/screenings"
_ANSWER_SHOWN = 200  # characters of an answer that is no verdict quoted for operators


# -- what the service answers -------------------------------------------------------------
class Clear(BaseModel):
    """``{"result": "clear"}``: neither account is listed; pay."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    result: Literal["clear"] = "clear"


class Hit(BaseModel):
    """``{"result": "hit", "reason": "..."}``: an account is listed; do not pay.
    ``reason``: the list's own words for it ("" when it gave none)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    result: Literal["hit"] = "hit"
    reason: str = ""


Verdict = Annotated[Clear | Hit, Field(discriminator="result")]
_VERDICT: TypeAdapter[Clear | Hit] = TypeAdapter(Verdict)


# -- how a payment fails on it ------------------------------------------------------------
class ScreeningHit(PaymentFailure, NonRetryable):
    """The sanctions screening refused the payment: a listed account. Asking again
    answers the same, so it is never redelivered. ``reason``: the screening's words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"sanctions screening hit: {reason or 'no reason given'}")
        self.reason = reason

    def in_payment_terms(self, attempts: int) -> str:
        shown = shown_reason(self.reason)
        if not shown:
            return "refused by sanctions screening (no reason given)"
        return f"refused by sanctions screening: {shown}"


class ScreeningUnavailable(PaymentFailure):
    """No verdict came from the sanctions screening (no answer, a timeout, an error
    status, an answer that is no verdict); asking again may give one. The message, and
    the call's error as ``__cause__``, are for operators."""

    def in_payment_terms(self, attempts: int) -> str:
        return f"sanctions screening unavailable after {attempts_text(attempts)}"


# -- the aggregation strategy ---------------------------------------------------------------
class ScreeningVerdict:
    """The aggregation strategy of the enrich step that asks the screening service, in
    the engine's ``AggregationStrategy`` shape: ``gathered`` is the original exchange,
    the one being paid (enrich always gives it), ``incoming`` the resource exchange of
    the call (its body the answer, or, with ``aggregateOnException``, its ``exception``
    the call's error). Answers the original: as it was on a clear answer, failed with
    ``ScreeningHit`` or ``ScreeningUnavailable`` otherwise."""

    def __call__(self, gathered: Exchange | None, incoming: Exchange) -> Exchange:
        if gathered is None:
            raise TypeError("ScreeningVerdict merges an enrich step's answer, not a group")
        verdict = read_verdict(incoming)
        if isinstance(verdict, ScreeningUnavailable):
            gathered.exception = verdict
        elif isinstance(verdict, Hit):
            gathered.exception = ScreeningHit(verdict.reason)
        return gathered


def read_verdict(resource: Exchange) -> Clear | Hit | ScreeningUnavailable:
    """The verdict the call of ``resource`` brought back, or why it brought none."""
    error = resource.exception
    if error is not None:
        return _unavailable(f"the call failed: {error}", error)
    status = resource.message.header(HTTP_STATUS)
    if isinstance(status, int) and not 200 <= status <= 299:
        return _unavailable(f"the service answered {status}: {_quoted(resource.body)}")
    try:
        return _VERDICT.validate_python(resource.body)
    except ValidationError as invalid:
        return _unavailable(f"the answer is no verdict: {_quoted(resource.body)}", invalid)


def _unavailable(why: str, cause: BaseException | None = None) -> ScreeningUnavailable:
    why = mask_credentials(why)  # an error's message may hold the URL as it was called
    unavailable = ScreeningUnavailable(f"sanctions screening gave no verdict: {why}")
    unavailable.__cause__ = cause
    return unavailable


def _quoted(body: object) -> str:
    text = repr(body)
    return text if len(text) <= _ANSWER_SHOWN else text[:_ANSWER_SHOWN] + "…"
