"""Properties of the create-order request for generated amounts and currencies: an order
is either refused naming the bad field, or accepted with the exact decimal the client
wrote (never a value that went through a binary float), and its normalized amount has
exactly the currency's minor units.

The expected outcome is computed independently of ``payments.domain.request``: with exact
rational arithmetic (``Fraction``) instead of digit counting.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from endpoints.json_codec import RepeatedMember, decode_json
from payments.domain.request import CURRENCIES, MAX_AMOUNT, CreatePaymentOrder, currency_minor_units

EXAMPLES = settings(max_examples=300, deadline=None, derandomize=True, database=None)
FIELDS = {"debtorAccount", "creditorAccount", "amount", "currency"}
BASE = {"debtorAccount": "ACC1", "creditorAccount": "ACC2", "currency": "EUR"}

# Amounts as (coefficient, exponent): every decimal a client can write, scaled from far
# below a currency's minor unit to beyond the maximum amount.
decimals = st.builds(
    lambda coefficient, exponent: Decimal(coefficient).scaleb(exponent),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.integers(min_value=-25, max_value=18),
)
currencies = st.one_of(
    st.sampled_from(CURRENCIES),
    st.sampled_from(["XAU", "XXX", "XTS", "ZZZ", "AAA"]),  # no minor units, or unknown
    st.text(min_size=0, max_size=5),
)


def refused_fields(body: Any) -> set[str] | None:
    """The fields an order with ``body`` is refused for; None when it is accepted."""
    try:
        order = CreatePaymentOrder.model_validate(body)
    except ValidationError as error:
        named = {str(item["loc"][0]) for item in error.errors() if item["loc"]}
        fields = named or {"<unnamed>"}
    else:
        fields = {problem.field for problem in order.problems()}
    return fields or None


def acceptable(amount: Decimal, currency: str) -> bool:
    units = currency_minor_units(currency)
    if units is None or not 0 < amount < MAX_AMOUNT:
        return False
    return bool((Fraction(amount) * 10**units).denominator == 1)


@EXAMPLES
@given(amount=decimals, currency=st.sampled_from(CURRENCIES))
@example(amount=Decimal("0.10"), currency="EUR")
@example(amount=Decimal("100.5"), currency="JPY")
@example(amount=Decimal("1.234"), currency="KWD")
@example(amount=Decimal("999999999999999.99"), currency="EUR")
def test_an_amount_is_accepted_exactly_as_written_or_refused_naming_it(
    amount: Decimal, currency: str
) -> None:
    text = format(amount, "f")
    # The same amount as a JSON number (parsed by the HTTP layer) and as a JSON string.
    for literal in (text, json.dumps(text)):
        body = decode_json(
            f'{{"amount": {literal}, "currency": "{currency}", '
            '"debtorAccount": "ACC1", "creditorAccount": "ACC2"}'.encode()
        )
        refused = refused_fields(body)
        if not acceptable(amount, currency):
            assert refused == {"amount"}, (literal, currency, refused)
            continue
        assert refused is None, (literal, currency, refused)
        order = CreatePaymentOrder.model_validate(body)
        assert type(order.amount) is Decimal
        assert order.amount.as_tuple() == Decimal(text).as_tuple()  # digit for digit
        normalized = order.normalized_amount()
        assert normalized == amount
        assert normalized.as_tuple().exponent == -(currency_minor_units(currency) or 0)


@EXAMPLES
@given(amount=st.floats())
@example(amount=0.1)
@example(amount=125.5)
@example(amount=float("nan"))
@example(amount=float("inf"))
def test_a_binary_float_is_always_refused(amount: float) -> None:
    assert refused_fields({**BASE, "amount": amount}) == {"amount"}


@EXAMPLES
@given(amount=st.integers(min_value=-(10**18), max_value=10**18))
def test_a_whole_number_is_its_exact_decimal(amount: int) -> None:
    refused = refused_fields({**BASE, "amount": amount})
    if 0 < amount < MAX_AMOUNT:
        assert refused is None
        assert CreatePaymentOrder.model_validate({**BASE, "amount": amount}).amount == amount
    else:
        assert refused == {"amount"}


@EXAMPLES
@given(amount=st.one_of(st.text(max_size=30), st.from_regex(r"\A\s?[0-9]{1,17}(\.[0-9]{0,4})?\Z")))
@example(amount="1e3")
@example(amount="0x10")
@example(amount="1_000")
@example(amount="١٢")  # Arabic-Indic digits: Decimal() reads them, the API does not
@example(amount=" 12.50 ")
def test_a_text_amount_is_a_plain_decimal_or_refused(amount: str) -> None:
    whole, point, fraction = amount.strip().partition(".")
    plain = all(part.isascii() and part.isdigit() for part in (whole, fraction) if part or point)
    expected_ok = plain and bool(whole) and acceptable(Decimal(amount.strip()), "EUR")
    refused = refused_fields({**BASE, "amount": amount})
    if not expected_ok:
        assert refused == {"amount"}, refused
        return
    assert refused is None
    order = CreatePaymentOrder.model_validate({**BASE, "amount": amount})
    assert order.amount.as_tuple() == Decimal(amount.strip()).as_tuple()


@EXAMPLES
@given(currency=currencies, amount=st.sampled_from(["1", "12.5", "0.125"]))
def test_a_currency_is_known_with_minor_units_or_refused_naming_it(
    currency: str, amount: str
) -> None:
    refused = refused_fields({**BASE, "amount": amount, "currency": currency})
    if currency_minor_units(currency) is None or currency not in CURRENCIES:
        assert refused is not None
        assert "currency" in refused
    else:
        assert refused in (None, {"amount"})
        assert (refused is None) == acceptable(Decimal(amount), currency)


@pytest.mark.parametrize(
    "amount",
    ["1E-999999999999", "1E+999999999999", "1E-1000000", "0E-1000000", "-0", "0.000"],
)
def test_an_amount_at_the_ends_of_the_decimal_range_is_refused(amount: str) -> None:
    body = decode_json(json.dumps({**BASE}).replace("{", f'{{"amount": {amount}, ', 1).encode())
    assert refused_fields(body) == {"amount"}


@EXAMPLES
@given(
    body=st.dictionaries(
        st.sampled_from([*sorted(FIELDS), "priority", ""]),
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.text(max_size=70), st.lists(st.none())
        ),
    )
)
def test_any_body_is_accepted_or_refused_naming_known_fields(body: dict[str, Any]) -> None:
    refused = refused_fields(body)
    if refused is not None:
        assert refused <= {*FIELDS, "priority", ""}, refused


@EXAMPLES
@given(
    body=st.fixed_dictionaries(
        {key: st.one_of(st.text(max_size=20), st.integers()) for key in sorted(FIELDS)}
    ),
    name=st.sampled_from(sorted(FIELDS)),
    first=st.one_of(st.text(max_size=20), st.integers()),
    at=st.integers(min_value=0, max_value=len(FIELDS)),
)
def test_a_body_naming_a_member_twice_is_refused_naming_it_whatever_its_values(
    body: dict[str, Any], name: str, first: Any, at: int
) -> None:
    """Where the repeat stands and whether the values agree does not matter: a reader
    keeping the first value and one keeping the last may not disagree."""
    members = [json.dumps({key: value})[1:-1] for key, value in body.items()]
    members.insert(at, json.dumps({name: first})[1:-1])
    text = "{" + ", ".join(members) + "}"

    with pytest.raises(RepeatedMember) as refused:
        decode_json(text.encode())

    assert refused.value.paths == ((name,),)
    assert decode_json(json.dumps(body).encode()) == body
