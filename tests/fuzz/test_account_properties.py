"""Properties of the account grammar for generated spellings: an account is 1 to 34 ASCII
letters and digits, optionally in groups separated by single spaces. Every spelling it
allows comes out in its electronic form (upper case, no spaces) — from the request model,
from the stored order, from the execution command and at the bank — and every other text
is refused naming the field, storing nothing and paying nothing.

The expected outcome is computed independently of ``payments.domain.accounts``: by splitting on
single spaces and checking each character against the ASCII alphabet, not with its
regular expression.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from payments.bank import SimulatedBank
from payments.contracts.openapi import openapi_document
from payments.domain.messages import ExecutePaymentCommand, UnreadableMessage, read_message
from payments.domain.request import CreatePaymentOrder
from payments.lifecycle.execution import PoisonCommand, read_command
from payments.service.build import PaymentService
from tests.payments.conftest import VALID_ORDER, StartService
from tests.payments.wire import command_json
from tests.polling import eventually

EXAMPLES = settings(max_examples=500, deadline=None, derandomize=True, database=None)
ALPHANUMERIC = string.ascii_letters + string.digits
FIELDS = ("debtorAccount", "creditorAccount")
_IBAN_SHAPED = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")

# Characters that make an account look like another, or hide part of it.
SMUGGLED = [
    "\u202e",  # right-to-left override
    "\u202d",  # left-to-right override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero width space
    "\u200d",  # zero width joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u0301",  # combining acute accent
    "\x00",
    "\t",
    "\n",
    "\r",
    "\x7f",
    "\u00a0",  # no-break space
    "\u2007",  # figure space
    "\u3000",  # ideographic space
    "\uff24",  # fullwidth D
    "\uff10",  # fullwidth 0
    "\u0410",  # Cyrillic A
    "\u0395",  # Greek Epsilon
    "\u212a",  # Kelvin sign: upper-cases to itself, looks like K
    "\u00df",  # sharp s: upper-cases to SS
    "\u0131",  # dotless i: upper-cases to I
    "\ufb00",  # ff ligature: upper-cases to FF
    "\u0663",  # Arabic-Indic three
    "\ud800",  # a lone surrogate (JSON's \ud800 escape)
    "-",
    ".",
    "/",
]


def electronic(sent: str) -> str | None:
    """The electronic form of ``sent``, or None when the grammar refuses it."""
    groups = sent.split(" ")
    if not all(group and all(char in ALPHANUMERIC for char in group) for group in groups):
        return None
    compact = "".join(groups)
    return compact.upper() if len(compact) <= 34 else None


def check_digits_ok(account: str) -> bool:
    """ISO 13616 mod 97, for an electronic-form account shaped like an IBAN."""
    return int("".join(str(int(char, 36)) for char in account[4:] + account[:4])) % 97 == 1


def refused_as_iban(account: str | None) -> bool:
    """Whether an account the grammar allows is an IBAN with wrong check digits."""
    return (
        account is not None
        and bool(_IBAN_SHAPED.fullmatch(account))
        and not (check_digits_ok(account))
    )


def _with_check_digits(country: str, bban: str) -> str:
    """An IBAN whose ISO 13616 check digits are right, computed here from scratch."""
    number = int("".join(str(int(char, 36)) for char in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


letters = st.sampled_from(string.ascii_uppercase)
ibans = st.builds(
    _with_check_digits,
    st.text(letters, min_size=2, max_size=2),
    st.text(st.sampled_from(string.ascii_uppercase + string.digits), min_size=11, max_size=30),
)
# Domestic ids; one shaped like an IBAN would have to pass its check digits too.
domestic = st.text(st.sampled_from(ALPHANUMERIC), min_size=1, max_size=34).filter(
    lambda account: not _IBAN_SHAPED.fullmatch(account.upper())
)


@st.composite
def spelled(draw: st.DrawFn, accounts: st.SearchStrategy[str]) -> str:
    """An account as a client may write it: any case, single spaces anywhere inside."""
    account = draw(accounts)
    cases = draw(st.lists(st.booleans(), min_size=len(account), max_size=len(account)))
    gaps = draw(st.lists(st.booleans(), min_size=len(account) - 1, max_size=len(account) - 1))
    chars = [char.lower() if lower else char for char, lower in zip(account, cases, strict=True)]
    return chars[0] + "".join(
        (" " if gap else "") + c for gap, c in zip(gaps, chars[1:], strict=True)
    )


accepted_spellings = spelled(st.one_of(ibans, domestic))


@st.composite
def smuggled(draw: st.DrawFn) -> str:
    """An allowed spelling with one character off the grammar put anywhere in it."""
    account = draw(accepted_spellings)
    at = draw(st.integers(min_value=0, max_value=len(account)))
    char = draw(
        st.one_of(
            st.sampled_from(SMUGGLED),
            st.characters(exclude_characters=ALPHANUMERIC + " ", exclude_categories=["Cs"]),
        )
    )
    return account[:at] + char + account[at:]


refused_spellings = st.one_of(
    smuggled(),
    st.text(st.sampled_from(ALPHANUMERIC), min_size=35, max_size=40),
    accepted_spellings.map(lambda account: f" {account}"),
    accepted_spellings.map(lambda account: f"{account} "),
    accepted_spellings.map(lambda account: account.replace(" ", "  ")).filter(
        lambda account: "  " in account
    ),
    st.sampled_from(["", " ", "  "]),
)
any_spelling = st.one_of(accepted_spellings, refused_spellings, st.text(max_size=80))


def other_account(account: str | None) -> str:
    """An account that differs from ``account`` in every spelling."""
    first, second = VALID_ORDER["debtorAccount"], VALID_ORDER["creditorAccount"]
    return second if account != second else first


def order_body(field: str, account: str) -> dict[str, Any]:
    other = "creditorAccount" if field == "debtorAccount" else "debtorAccount"
    return {**VALID_ORDER, field: account, other: other_account(electronic(account))}


def refused_fields(body: dict[str, Any]) -> set[str] | None:
    try:
        order = CreatePaymentOrder.model_validate(body)
    except ValidationError as error:
        return {str(item["loc"][0]) for item in error.errors() if item["loc"]} or {"<unnamed>"}
    return {problem.field for problem in order.problems()} or None


# -- the models --------------------------------------------------------------------------


@EXAMPLES
@given(field=st.sampled_from(FIELDS), account=any_spelling)
@example(field="debtorAccount", account="DE89 3704 0044 0532 0130 00")
@example(field="debtorAccount", account="de89370400440532013000")
@example(field="debtorAccount", account="DE89370400440532013000\u202e")
@example(field="creditorAccount", account="GB82WEST12345698765432\x00")
@example(field="debtorAccount", account="\uff24\uff2589370400440532013000")
@example(field="debtorAccount", account="A\n")
@example(field="debtorAccount", account="A" * 34)
@example(field="debtorAccount", account="A" * 35)
def test_an_account_is_accepted_in_electronic_form_or_refused_naming_its_field(
    field: str, account: str
) -> None:
    expected = electronic(account)
    refused = refused_fields(order_body(field, account))
    if expected is None or refused_as_iban(expected):
        assert refused == {field}, (account, refused)
        return
    assert refused is None, (account, refused)
    order = CreatePaymentOrder.model_validate(order_body(field, account))
    name = "debtor_account" if field == "debtorAccount" else "creditor_account"
    assert getattr(order, name) == expected
    # The electronic form is a spelling of its own, and the same request.
    again = CreatePaymentOrder.model_validate(order_body(field, expected))
    assert getattr(again, name) == expected
    assert again.fingerprint() == order.fingerprint()


@EXAMPLES
@given(account=accepted_spellings)
def test_one_account_in_two_spellings_is_never_both_debtor_and_creditor(account: str) -> None:
    body = {**VALID_ORDER, "debtorAccount": account, "creditorAccount": electronic(account)}

    assert refused_fields(body) == {"creditorAccount"}


@EXAMPLES
@given(field=st.sampled_from(FIELDS), account=any_spelling)
@example(field="creditorAccount", account="GB82WEST12345698765432\u202e")
def test_a_command_carries_an_account_in_electronic_form_or_is_poison(
    field: str, account: str
) -> None:
    """A command from another producer (or written past the API) follows the same rule."""
    expected = electronic(account)
    record = command_json(None, **{field: account})
    if expected is None:
        with pytest.raises(UnreadableMessage, match=field):
            read_message(ExecutePaymentCommand, record)
        with pytest.raises(PoisonCommand):
            read_command(record)
        return
    command = read_command(record)
    written = json.loads(command.model_dump_json(by_alias=True))
    assert written[field] == expected
    assert read_command(json.dumps(written)) == command  # what a worker writes, it reads


@EXAMPLES
@given(field=st.sampled_from(FIELDS), account=any_spelling)
@example(field="debtorAccount", account="A\n")
def test_the_documents_describe_exactly_the_grammar(field: str, account: str) -> None:
    """The OpenAPI request schema and the command's JSON Schema allow what the models
    accept and nothing more. (Python's ``$`` also matches before a final newline, where
    the ECMA-262 one of JSON Schema does not: such text is refused by both the models
    and the ECMA reading of the pattern.)"""
    request = openapi_document()["components"]["schemas"]["CreatePaymentOrder"]
    command = ExecutePaymentCommand.model_json_schema(by_alias=True)
    valid = {
        Draft202012Validator(schema["properties"][field]).is_valid(account)
        for schema in (request, command)
    }
    if electronic(account) is not None:
        assert valid == {True}
    elif not account.endswith("\n"):
        assert valid == {False}, account


# -- the running service: API, store, command and bank -----------------------------------


@pytest.fixture
async def service(start_service: StartService) -> PaymentService:
    """The whole service embedded: SQLite store, seda: queues, the simulated bank."""
    return await start_service("all", embedded=True, bank=SimulatedBank())


async def count_orders(service: PaymentService) -> int:
    return sum((await service.store.count_by_status()).values())


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    field=st.sampled_from(FIELDS),
    account=st.one_of(accepted_spellings, refused_spellings),
)
@example(field="debtorAccount", account="DE89 3704 0044 0532 0130 00")
@example(field="debtorAccount", account="DE89370400440532013000\u202e")
async def test_an_accepted_account_is_stored_and_paid_as_its_electronic_form(
    service: PaymentService, client: aiohttp.ClientSession, field: str, account: str
) -> None:
    expected = electronic(account)
    body = order_body(field, account)
    before = await count_orders(service)
    async with client.post(f"{service.http.url}/payment-orders", json=body) as response:
        answer = await response.json(content_type=None)
        status = response.status
    if expected is None or refused_as_iban(expected):
        assert status == 422, answer
        assert field in {error["field"] for error in answer["errors"]}, answer
        assert await count_orders(service) == before
        return
    assert status == 201, answer
    assert answer[field] == expected
    stored = await service.store.get(answer["id"])
    assert stored is not None
    assert stored.model_dump(by_alias=True)[field] == expected

    bank = service.bank
    assert bank is not None
    [payment] = await eventually(lambda: bank.entries_for(answer["id"]))
    paid = {"debtorAccount": payment.debtor_account, "creditorAccount": payment.creditor_account}
    assert paid == {key: body[key] if key != field else expected for key in FIELDS}
