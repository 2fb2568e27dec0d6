"""Reading messages by the versioning rule: fields a reader does not know are ignored,
a major it does not know is refused by name, and what the models write is what the
committed schemas describe."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from jsonschema import Draft202012Validator

from payments.contracts import SCHEMAS_DIR
from payments.lifecycle import PoisonCommand, read_command
from payments.messages import (
    ExecutePaymentCommand,
    PaymentEvent,
    UnreadableMessage,
    UnsupportedSchemaVersion,
    read_event,
    read_message,
)
from payments.model import OrderStatus
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
