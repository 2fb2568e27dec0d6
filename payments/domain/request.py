"""The create-order request: field names of the original Spring service, strict checks.

Money is a Decimal from the JSON text itself (the http component parses numbers with
``parse_float=Decimal``); a float never touches it. Each rule that fails names its
field, so one response lists everything the client must fix. An account may come in
any spelling ``payments.domain.accounts`` allows and is kept in its electronic form, so the
debtor-differs-from-creditor rule and the idempotency fingerprint see one account as one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from iso4217 import Currency
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from payments.domain.accounts import Account, iban_checksum_ok, looks_like_iban
from payments.domain.rejections import FieldProblem

MAX_AMOUNT = Decimal("1e15")
_AMOUNT_TEXT = re.compile(r"^\s*[0-9]+(\.[0-9]+)?\s*$")
# The codes an order may use: ISO 4217 currencies with minor units (not metals or funds).
CURRENCIES = sorted(currency.code for currency in Currency if currency.exponent is not None)


def _amount(value: Any) -> Decimal:
    """Accept a JSON number (int or Decimal) or a plain decimal string; nothing else."""
    if isinstance(value, bool):
        raise ValueError("must be a decimal number, not true or false")
    if isinstance(value, float):
        raise ValueError("must be a decimal number written exactly, not a binary float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("must be a finite number")
        return value
    if isinstance(value, str) and _AMOUNT_TEXT.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            pass
    raise ValueError("must be a positive decimal number in plain notation, e.g. 12.50")


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": int(MAX_AMOUNT)},
                {"type": "string", "pattern": _AMOUNT_TEXT.pattern},
            ],
            "description": "a decimal with at most the currency's minor unit digits",
            "examples": ["125.50"],
        },
        mode="validation",
    ),
]


_DAY_TEXT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _day(value: Any) -> date:
    """Accept ``YYYY-MM-DD`` and nothing else (no timestamps, no times, no numbers)."""
    if not isinstance(value, str) or not _DAY_TEXT.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is no day of the calendar") from None


Day = Annotated[
    date,
    BeforeValidator(_day),
    WithJsonSchema(
        {"type": "string", "format": "date", "examples": ["2027-01-15"]}, mode="validation"
    ),
]


def _max_text(limit: int) -> Callable[[Any], str]:
    """ISO 20022's ``Max<limit>Text``: 1 to ``limit`` characters, here printable ones
    (a control character has no place in a reference a bank forwards) and not blank."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be a string")
        if not value.strip():
            raise ValueError("must not be blank")
        if len(value) > limit:
            raise ValueError(f"must have at most {limit} characters, not {len(value)}")
        if not value.isprintable():
            raise ValueError("must hold printable characters only")
        return value

    return check


# The client's own reference of the payment, passed to the bank and on to the creditor
# unchanged (ISO 20022 ``EndToEndId``), and the text the creditor reads (``RmtInf/Ustrd``).
EndToEndId = Annotated[
    str,
    BeforeValidator(_max_text(35)),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 35}, mode="validation"),
]
RemittanceInformation = Annotated[
    str,
    BeforeValidator(_max_text(140)),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 140}, mode="validation"),
]


class CreatePaymentOrder(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)

    debtor_account: Account
    creditor_account: Account
    amount: Amount
    currency: Annotated[
        str,
        Field(
            pattern=r"^[A-Z]{3}$",
            description="ISO 4217 code",
            json_schema_extra={"enum": CURRENCIES},
        ),
    ]
    requested_execution_date: Annotated[
        Day | None,
        Field(description="The day to pay it on; absent: as soon as possible."),
    ] = None
    end_to_end_id: Annotated[
        EndToEndId | None,
        Field(
            description="Your reference of the payment, passed to the bank unchanged "
            "(ISO 20022 EndToEndId, at most 35 characters).",
        ),
    ] = None
    remittance_information: Annotated[
        RemittanceInformation | None,
        Field(
            description="What the creditor reads about the payment (ISO 20022 "
            "unstructured remittance information, at most 140 characters)."
        ),
    ] = None

    def problems(self) -> list[FieldProblem]:
        """The rules that need more than one field or a lookup; empty when all hold."""
        found: list[FieldProblem] = []
        minor_units = currency_minor_units(self.currency)
        if minor_units is None:
            found.append(
                FieldProblem("currency", f"{self.currency} is not an ISO 4217 currency", "AM03")
            )
        if self.amount <= 0:
            found.append(FieldProblem("amount", "must be greater than zero", "AM01"))
        elif self.amount >= MAX_AMOUNT:
            found.append(FieldProblem("amount", f"must be less than {MAX_AMOUNT:,.0f}", "AM02"))
        elif minor_units is not None and _fraction_digits(self.amount) > minor_units:
            found.append(
                FieldProblem(
                    "amount",
                    f"{self.currency} has {minor_units} minor unit digit(s); "
                    f"{self.amount} has {_fraction_digits(self.amount)}",
                    "AM12",
                )
            )
        for field, account in (
            ("debtorAccount", self.debtor_account),
            ("creditorAccount", self.creditor_account),
        ):
            if looks_like_iban(account) and not iban_checksum_ok(account):
                found.append(FieldProblem(field, "IBAN check digits are wrong (mod 97)", "AC01"))
        if self.debtor_account == self.creditor_account:
            # ISO 20022 has no code for it: NARR, the text says why.
            found.append(FieldProblem("creditorAccount", "must differ from debtorAccount", "NARR"))
        return found

    def normalized_amount(self) -> Decimal:
        """The amount with exactly the currency's minor units (10.5 EUR → 10.50)."""
        units = currency_minor_units(self.currency) or 0
        return self.amount.quantize(Decimal(1).scaleb(-units))

    def fingerprint(self) -> str:
        """Identifies the request's meaning, so a replayed idempotency key can be checked
        (accounts in electronic form: a print-form spelling is the same request)."""
        fields = [
            self.debtor_account,
            self.creditor_account,
            str(self.normalized_amount()),
            self.currency,
        ]
        if self.requested_execution_date is not None:  # a request without one hashes as before
            fields.append(self.requested_execution_date.isoformat())
        # Named, so no optional field's value can pass for another's.
        if self.end_to_end_id is not None:
            fields.append(f"endToEndId={self.end_to_end_id}")
        if self.remittance_information is not None:
            fields.append(f"remittanceInformation={self.remittance_information}")
        canonical = "|".join(fields)
        return hashlib.sha256(canonical.encode()).hexdigest()


def currency_minor_units(code: str) -> int | None:
    """Minor unit digits of an ISO 4217 currency; None for unknown codes and for
    codes without minor units (precious metals, testing codes)."""
    try:
        exponent: int | None = Currency(code).exponent
    except ValueError:
        return None
    return exponent


def _fraction_digits(amount: Decimal) -> int:
    """Digits after the point, trailing zeros not counted; exact for any exponent (the
    context-bound ``normalize`` turns 1E-999999999 into 0)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))
