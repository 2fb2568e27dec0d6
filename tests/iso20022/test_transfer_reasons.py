"""The ISO 20022 reason code a refused transfer of a pain.001 is reported with: the one
the order's rule names, else its field's."""

from __future__ import annotations

from typing import Any

import pytest

from payments.domain.rejections import FieldProblem, InvalidOrder
from payments.domain.request import CreatePaymentOrder
from payments.files.intake import reason_for
from tests.iso20022.files import CREDITOR, DEBTOR

GOOD = {"debtorAccount": DEBTOR, "creditorAccount": CREDITOR, "amount": "1.00", "currency": "EUR"}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": "0"}, "AM01"),
        ({"amount": "1000000000000000"}, "AM02"),
        ({"amount": "1.001"}, "AM12"),
        ({"currency": "ZZZ"}, "AM03"),
        ({"creditorAccount": DEBTOR[:2] + "00" + DEBTOR[4:]}, "AC01"),
        ({"creditorAccount": DEBTOR}, "NARR"),
    ],
    ids=["zero", "too large", "too many decimals", "unknown currency", "IBAN", "same account"],
)
def test_a_rule_names_its_own_code(change: dict[str, Any], code: str) -> None:
    problems = CreatePaymentOrder.model_validate({**GOOD, **change}).problems()
    reason, text = reason_for(InvalidOrder("not a valid payment", problems))
    assert reason == code
    assert text.startswith(f"{problems[0].field}: ")


@pytest.mark.parametrize(
    ("field", "code"),
    [("currency", "AM03"), ("amount", "AM12"), ("endToEndId", "FF01"), ("priority", "NARR")],
)
def test_a_field_refused_before_any_rule_has_its_fields_code(field: str, code: str) -> None:
    """The request's shape (pydantic) names the field, not a code."""
    refusal = InvalidOrder("not a valid payment", [FieldProblem(field, "is not valid")])
    assert reason_for(refusal) == (code, f"{field}: is not valid")
