"""Reading messages by the versioning rule: fields a reader does not know are ignored,
a major it does not know is refused by name, and what the models write is what the
committed schemas describe."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator

from payments.contracts.files import SCHEMAS_DIR
from payments.domain.messages import (
    ExecutePaymentCommand,
    PaymentEvent,
    UnreadableMessage,
    UnsupportedSchemaVersion,
    read_event,
    read_message,
)
from payments.domain.model import OrderStatus
from payments.lifecycle.execution import PoisonCommand, read_command
from tests.payments.wire import command_json

EVENT = {
    "schemaVersion": 1,
    "orderId": "order-1",
    "status": "EXECUTED",
    "at": "2025-01-02T03:04:05+00:00",
    "attempts": 1,
    "gatewayReference": "ref-1",
}


def test_a_field_this_reader_does_not_know_is_ignored() -> None:
    command = read_message(ExecutePaymentCommand, command_json(priority="urgent"))
    event = read_event(json.dumps({**EVENT, "channel": "sepa-instant"}))

    assert "priority" not in command.model_dump(by_alias=True)
    assert event.gateway_reference == "ref-1"
    assert "channel" not in event.model_dump(by_alias=True)


@pytest.mark.parametrize("version", [2, 99, 0, "1", True, 1.0])
def test_a_major_this_reader_does_not_know_is_refused_by_name(version: object) -> None:
    with pytest.raises(UnsupportedSchemaVersion, match=r"^schemaVersion .* reads schemaVersion 1"):
        read_message(ExecutePaymentCommand, command_json(schemaVersion=version))
    with pytest.raises(UnsupportedSchemaVersion, match="schemaVersion"):
        read_event({**EVENT, "schemaVersion": version})


def test_an_unknown_major_is_the_reason_whatever_else_the_message_holds() -> None:
    """A version 2 may have reshaped every field: the version is what to report."""
    with pytest.raises(UnsupportedSchemaVersion) as refused:
        read_message(ExecutePaymentCommand, {"schemaVersion": 2, "payment": {"id": "x"}})

    assert refused.value.version == 2


def test_a_message_without_schema_version_is_read_as_version_1() -> None:
    unversioned = {key: value for key, value in EVENT.items() if key != "schemaVersion"}

    assert read_event(unversioned).schema_version == 1


def test_the_processor_takes_a_command_of_an_unknown_major_for_poison() -> None:
    with pytest.raises(PoisonCommand, match="unreadable execution command: schemaVersion 3"):
        read_command(command_json(schemaVersion=3))


def test_a_message_of_another_shape_is_unreadable_naming_the_field() -> None:
    with pytest.raises(UnreadableMessage, match="debtorAccount") as unreadable:
        read_message(ExecutePaymentCommand, {"orderId": "order-1"})

    assert not isinstance(unreadable.value, UnsupportedSchemaVersion)


@pytest.mark.parametrize(
    ("field", "account"),
    [
        ("debtorAccount", "DE89370400440532013000\u202e"),  # right-to-left override
        ("creditorAccount", "GB82WEST12345698765432\u0000"),
        ("creditorAccount", "\uff27\uff22" + "82WEST12345698765432"),  # fullwidth GB
        ("debtorAccount", "DE89 3704 0044 0532 0130 00 "),
    ],
)
def test_a_command_with_an_account_off_the_grammar_is_poison_naming_the_field(
    field: str, account: str
) -> None:
    """A character smuggled into a command (past the API, or by another producer) is
    never paid: the processor cannot read the command, so it dead-letters it."""
    with pytest.raises(UnreadableMessage, match=field):
        read_message(ExecutePaymentCommand, command_json(None, **{field: account}))
    with pytest.raises(PoisonCommand, match=f"(?s)unreadable execution command: .*{field}"):
        read_command(command_json(None, **{field: account}))


def test_a_command_naming_a_member_twice_is_poison_naming_the_member() -> None:
    """Another reader of the topic may take the first amount: the processor takes none."""
    record = command_json()[:-1] + b', "amount": "1000000.00"}'

    with pytest.raises(PoisonCommand, match='member "amount" appears more than once'):
        read_command(record)


def test_a_command_in_print_form_is_read_in_electronic_form() -> None:
    command = read_command(
        command_json(debtorAccount="de89 3704 0044 0532 0130 00", creditorAccount="gb82west1234")
    )

    assert (command.debtor_account, command.creditor_account) == (
        "DE89370400440532013000",
        "GB82WEST1234",
    )


def test_what_the_models_write_is_what_their_committed_schemas_accept() -> None:
    command = ExecutePaymentCommand.model_validate_json(command_json())
    event = PaymentEvent(
        order_id="order-1", status=OrderStatus.FAILED, at=datetime.now(UTC), reason="refused"
    )

    for message, name in (
        (command, "execute-payment-command.v1.json"),
        (event, "payment-event.v1.json"),
    ):
        schema = json.loads((SCHEMAS_DIR / name).read_text())
        Draft202012Validator(schema).validate(json.loads(message.model_dump_json(by_alias=True)))
