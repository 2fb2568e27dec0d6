"""The messages on the payment topics: the execution command and the terminal events.

``schemaVersion`` is the message's MAJOR version, an integer. A change every reader of
that major can live with — a new optional field — keeps it, and readers ignore fields
they do not know, so a producer can add one before its readers learn it. Any other
change (a field removed, renamed, retyped or made required) is a new major, which a
reader refuses (``UnsupportedSchemaVersion``) rather than guess at. A message without
``schemaVersion`` is read as version 1, as it was before the field was checked.

A command's accounts follow the grammar of the create-order request
(``payments.domain.accounts``): one that does not is unreadable, so a processor dead-letters
it as poison instead of paying it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, TypeVar, get_args

from pydantic import BeforeValidator, ConfigDict, ValidationError

from endpoints.json_codec import decode_json
from payments.domain.accounts import Account
from payments.domain.model import CamelModel, OrderStatus, PaymentOrder
from payments.domain.store import Move
from payments.domain.transitions import store_time

VERSION_FIELD = "schemaVersion"


def _whole_number(value: object) -> object:
    """``true`` or ``1.0`` is no version number (pydantic would take either for 1)."""
    if type(value) is not int:
        raise ValueError("must be a whole number")
    return value


Major1 = Annotated[Literal[1], BeforeValidator(_whole_number)]


class UnreadableMessage(ValueError):
    """Bytes or data that are not a message of the expected type."""


class UnsupportedSchemaVersion(UnreadableMessage):
    def __init__(self, model: type[Message], version: object) -> None:
        super().__init__(
            f"{VERSION_FIELD} {version!r} of {model.__name__} is not a version this reader "
            f"knows (it reads {VERSION_FIELD} {model.major()})"
        )
        self.version = version


class Message(CamelModel):
    """A versioned message: unknown fields are ignored, an unknown major is refused."""

    model_config = ConfigDict(
        extra="ignore",
        use_attribute_docstrings=True,  # each field's docstring describes it in the schema
        field_title_generator=lambda name, _: name.replace("_", " ").capitalize(),
    )

    # The generated schema file of each message type is named after this.
    schema_name: ClassVar[str]

    @classmethod
    def major(cls) -> int:
        """The one major this model reads and writes, from its ``schema_version`` type."""
        (version,) = get_args(cls.model_fields["schema_version"].annotation)
        return int(version)


class ExecutePaymentCommand(Message):
    """The command on ``payment.execute`` (and, when it cannot be executed, on
    ``payment.execute.DLT``), keyed by order id: pay this order."""

    schema_name: ClassVar[str] = "execute-payment-command"

    schema_version: Major1 = 1
    """The major version of this message's schema."""
    order_id: str
    """The payment order's id, also the record key and the bank's idempotency key."""
    debtor_account: Account
    """The account paid from: an IBAN or domestic account id, upper case, no spaces."""
    creditor_account: Account
    """The account paid to: an IBAN or domestic account id, upper case, no spaces."""
    amount: Decimal
    """The amount, a decimal with at most the currency's minor units."""
    currency: str
    """ISO 4217 currency code."""
    version: int | None = None
    """The order's version when the command was issued (EXECUTING): the worker ends the
    order with a compare-and-set on it, without reading the order first. Absent from
    the commands of earlier producers; for those the worker reads the order."""
    executing_since: datetime | None = None
    """When the order became EXECUTING."""
    client_id: str | None = None
    """The API client the order belongs to."""
    created_at: datetime | None = None
    """When the order was created."""
    end_to_end_id: str | None = None
    """The client's reference of the payment (ISO 20022 EndToEndId), for the bank."""
    remittance_information: str | None = None
    """What the creditor reads about the payment, for the bank."""

    @classmethod
    def for_order(cls, order: PaymentOrder) -> ExecutePaymentCommand:
        """The command that pays ``order``, carrying what ends it without reading it."""
        return cls(
            order_id=order.id,
            debtor_account=order.debtor_account,
            creditor_account=order.creditor_account,
            amount=order.amount,
            currency=order.currency,
            version=order.version,
            executing_since=order.updated_at,
            client_id=order.client_id,
            created_at=order.created_at,
            end_to_end_id=order.end_to_end_id,
            remittance_information=order.remittance_information,
        )


class PaymentEvent(Message):
    """The event on ``payment.executed``, ``payment.failed`` and ``payment.cancelled``,
    keyed by order id: the order ended. Published at least once: consumers deduplicate
    by order id."""

    schema_name: ClassVar[str] = "payment-event"

    schema_version: Major1 = 1
    """The major version of this message's schema."""
    order_id: str
    """The payment order's id, also the record key."""
    status: OrderStatus
    """EXECUTED on ``payment.executed``, FAILED on ``payment.failed``, CANCELLED on
    ``payment.cancelled``."""
    at: datetime
    """When the order reached that status."""
    reason: str | None = None
    """Why the order failed (FAILED only), in the payment's terms: what happened to the
    payment, never an address, credential or library message (``payments.domain.failures``)."""
    attempts: int = 0
    """Gateway calls made, retries included."""
    gateway_reference: str | None = None
    """The bank's reference of the payment (EXECUTED only)."""

    @classmethod
    def of(cls, order: PaymentOrder) -> PaymentEvent:
        """The event of an order that ended."""
        return cls(
            order_id=order.id,
            status=order.status,
            at=order.updated_at,
            reason=order.failure_reason,
            attempts=order.attempts,
            gateway_reference=order.gateway_reference,
        )

    @classmethod
    def executed(cls, move: Move) -> PaymentEvent:
        """The ``payment.executed`` event of the move that ended an order EXECUTED."""
        return cls(
            order_id=move.order_id,
            status=OrderStatus.EXECUTED,
            at=store_time(move.at),
            attempts=move.attempts or 0,
            gateway_reference=move.gateway_reference,
        )


M = TypeVar("M", bound=Message)


def read_message(model: type[M], data: object) -> M:
    """``data`` (a record's JSON bytes or text, a decoded object, or the model itself)
    as ``model``; raises ``UnsupportedSchemaVersion`` for a major it does not know,
    whatever else the message holds, and ``UnreadableMessage`` for anything else amiss."""
    if isinstance(data, model):
        return data
    if isinstance(data, bytes | bytearray | str):
        # The engine's decoder, not pydantic's: it refuses a repeated member, of which
        # pydantic would take the last value.
        try:
            data = decode_json(data if isinstance(data, str) else bytes(data))
        except ValueError as error:
            raise UnreadableMessage(f"not a JSON document: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for problem in error.errors():
            if problem["loc"] in ((VERSION_FIELD,), ("schema_version",)):
                raise UnsupportedSchemaVersion(model, problem["input"]) from None
        raise UnreadableMessage(str(error)) from None


def read_event(data: object) -> PaymentEvent:
    """A ``payment.executed`` / ``payment.failed`` event, for whoever consumes them."""
    return read_message(PaymentEvent, data)


MESSAGES: tuple[type[Message], ...] = (ExecutePaymentCommand, PaymentEvent)
