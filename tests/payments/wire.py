"""What tests put on the payment topics, and how they check what is there against the
committed contracts (``schemas/``): a message's payload against the JSON Schema its
AsyncAPI message names, its record headers against the message's header schema."""

from __future__ import annotations

import json
import uuid
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml
from aiokafka import AIOKafkaProducer, ConsumerRecord
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from payments.contracts.files import ASYNCAPI_FILE, SCHEMAS_DIR
from payments.domain.messages import ExecutePaymentCommand
from payments.domain.model import PaymentOrder
from tests.faults.topics import header_values
from tests.payments.conftest import VALID_ORDER

ASYNCAPI_URI = "urn:payorch:asyncapi"


def command_json(order: PaymentOrder | None = None, **changes: object) -> bytes:
    """An execute command as a record value: ``order``'s (by default one for an order no
    one created), with ``changes`` to its fields by their JSON names."""
    command = (
        ExecutePaymentCommand.for_order(order)
        if order is not None
        else ExecutePaymentCommand(
            order_id=str(uuid.uuid4()),
            debtor_account=VALID_ORDER["debtorAccount"],
            creditor_account=VALID_ORDER["creditorAccount"],
            amount=Decimal(VALID_ORDER["amount"]),
            currency=VALID_ORDER["currency"],
        )
    )
    return json.dumps({**command.model_dump(mode="json", by_alias=True), **changes}).encode()


async def produce(
    bootstrap: str,
    topic: str,
    records: list[tuple[str, bytes]],
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Send (key, value) records in this order, as a producer of another service would,
    each with ``headers``."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for key, value in records:
            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
    finally:
        await producer.stop()


def asyncapi_document() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SCHEMAS_DIR / ASYNCAPI_FILE).read_text())
    return document


def validate_asyncapi(document: dict[str, Any]) -> None:
    """Raises on a misspelt or misplaced field of an AsyncAPI 3 document."""
    with warnings.catch_warnings():  # its models shadow a BaseModel attribute: harmless here
        warnings.simplefilter("ignore", UserWarning)
        from asyncapi3 import AsyncAPI3

    AsyncAPI3.model_validate(document)


def schema_at(path: str) -> dict[str, Any]:
    """A committed JSON Schema, by its path relative to the AsyncAPI document."""
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / path).read_text())
    return schema


@dataclass(frozen=True)
class MessageContract:
    """One AsyncAPI message's payload and header schemas, ready to validate records."""

    message_id: str
    payload: Draft202012Validator
    headers: Draft202012Validator

    @classmethod
    def of(cls, message_id: str) -> MessageContract:
        document = asyncapi_document()
        message = document["components"]["messages"][message_id]
        registry: Registry[Any] = Registry().with_resource(
            ASYNCAPI_URI, Resource.from_contents(document, default_specification=DRAFT202012)
        )
        checker = FormatChecker()
        headers = {"$ref": ASYNCAPI_URI + message["headers"]["$ref"]}
        return cls(
            message_id,
            Draft202012Validator(schema_at(message["payload"]["$ref"]), format_checker=checker),
            Draft202012Validator(headers, registry=registry, format_checker=checker),
        )

    def header_problems(self, headers: dict[str, str]) -> list[str]:
        return [f"headers: {error.message}" for error in self.headers.iter_errors(headers)]

    def problems(self, record: ConsumerRecord) -> list[str]:
        """Why ``record`` breaks this contract (nothing when it keeps it)."""
        value = json.loads(record.value)
        found = [f"payload: {error.message}" for error in self.payload.iter_errors(value)]
        found += self.header_problems(header_values(record))
        if record.key is None or record.key.decode() != value.get("orderId"):
            found.append(f"key {record.key!r} is not the orderId")
        return found
