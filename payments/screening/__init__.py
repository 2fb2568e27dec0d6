"""Sanctions screening: a payment is screened before the bank is asked to pay it.

Two processes run its two halves. ``service`` is a simulated screening service, a
process of its own (``python app.py screening``, on ``HTTP_HOST``/``HTTP_PORT``, its
list from ``SCREENING_LISTED``); it stands in for a real provider in the tests and a
local stack. ``verdict`` runs in the processor service: the aggregation strategy of the
route's enrich step that calls the screening service
(``#class:payments.screening.verdict:ScreeningVerdict``), and the failures a payment
ends in when the screening refuses it (``ScreeningHit``) or gives no verdict
(``ScreeningUnavailable``)."""

from payments.screening.service import (
    ScreeningSettings,
    create_screening_app,
    load_screening_settings,
    parse_listed,
)
from payments.screening.verdict import (
    SCREENINGS_PATH,
    Clear,
    Hit,
    ScreeningHit,
    ScreeningUnavailable,
    ScreeningVerdict,
    read_verdict,
)

__all__ = [
    "SCREENINGS_PATH",
    "Clear",
    "Hit",
    "ScreeningHit",
    "ScreeningSettings",
    "ScreeningUnavailable",
    "ScreeningVerdict",
    "create_screening_app",
    "load_screening_settings",
    "parse_listed",
    "read_verdict",
]
