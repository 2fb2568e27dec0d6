"""The AsyncAPI 3.0 document of the payment topics: each topic's address, key, headers
and message, and which service sends or receives it. Built from the topic names,
the engine's header names and the message models, so it describes what the code
does; ``payments.contracts.files`` writes it beside the messages' JSON Schemas."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, Literal, NamedTuple

from endpoints import headers
from payments.domain.messages import ExecutePaymentCommand, Message, PaymentEvent
from payments.domain.topics import PROCESSOR_GROUP, TopicNames

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"


def schema_file(model: type[Message]) -> str:
    """The file name of a message's JSON Schema: one per message and major."""
    return f"{model.schema_name}.v{model.major()}.json"


def _ref(*path: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(path)}


def _text(description: str, **schema: Any) -> dict[str, Any]:
    """A header: Kafka header values are bytes, here UTF-8 text."""
    return {"type": "string", "description": description, **schema}


def _headers() -> dict[str, Any]:
    """The header schemas: those of every record the services publish, and those of a
    dead letter, which keeps the headers of the command as it was read and adds why it
    failed, and the failed exchange's correlation id where the command came without one.
    Other headers may travel too; readers ignore them."""
    tracing = {
        headers.CORRELATION_ID: _text(
            "The request's correlation id (X-Correlation-ID), in every log line "
            "either service writes for the order."
        ),
        "traceparent": _text(
            "W3C trace context of the publishing span; present when tracing is on.",
            pattern="^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        ),
    }
    failure = {
        headers.EXCEPTION_TYPE: _text("Qualified class name of the error."),
        headers.EXCEPTION_MESSAGE: _text(
            "Why it failed, for operators (credentials in URIs masked), e.g. the "
            "schemaVersion this reader does not know."
        ),
        headers.ATTEMPTS: _text("Attempts made, redeliveries included.", pattern="^[0-9]+$"),
        headers.FAILURE_ROUTE_ID: _text("The route that gave up on the command."),
        headers.FAILED_AT: _text("When it gave up (ISO 8601, UTC).", format="date-time"),
    }
    return {
        "recordHeaders": {
            "type": "object",
            "required": [headers.CORRELATION_ID],
            "properties": tracing,
        },
        "deadLetterHeaders": {
            "type": "object",
            "required": sorted([headers.CORRELATION_ID, *failure]),
            "properties": {**tracing, **failure},
        },
    }


def _message(model: type[Message], title: str, summary: str, header_schema: str) -> dict[str, Any]:
    return {
        "name": model.__name__,
        "title": title,
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": f"./{schema_file(model)}"},
        "headers": _ref("components", "schemas", header_schema),
        "correlationId": _ref("components", "correlationIds", "correlationId"),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The payment order's id."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


class Channel(NamedTuple):
    address: str
    message_id: str | None  # its one message, in components/messages; None: not described
    description: str


Action = Literal["send", "receive"]


class Operation(NamedTuple):
    action: Action
    channel_id: str
    service: str  # a tag: which service does it
    summary: str


def _channels() -> dict[str, Channel]:
    topics = TopicNames()  # as without KAFKA_TOPIC_PREFIX
    return {
        "paymentExecute": Channel(
            topics.execute,
            "executePaymentCommand",
            "Execution commands, one per order (more after a crash or a recovery sweep).",
        ),
        "paymentExecuteDeadLetter": Channel(
            topics.dead_letter,
            "deadLetteredCommand",
            "Commands the processor gave up on, as they were read, with why.",
        ),
        "paymentExecuted": Channel(
            topics.executed, "paymentExecuted", "Orders paid; at least once per order."
        ),
        "paymentFailed": Channel(
            topics.failed, "paymentFailed", "Orders that failed; at least once per order."
        ),
        "paymentCancelled": Channel(
            topics.cancelled,
            "paymentCancelled",
            "Orders their clients cancelled before they were paid; at least once per order.",
        ),
    }


OPERATIONS = {
    "publishExecuteCommand": Operation(
        "send",
        "paymentExecute",
        "ingestion",
        "Publish an order's execution command once it is EXECUTING.",
    ),
    "executePayment": Operation(
        "receive", "paymentExecute", "processor", "Pay each command's order through the gateway."
    ),
    "deadLetterCommand": Operation(
        "send",
        "paymentExecuteDeadLetter",
        "processor",
        "Dead-letter a command that is poison, was refused, or ran out of retries.",
    ),
    "publishPaymentExecuted": Operation(
        "send", "paymentExecuted", "processor", "Announce a paid order."
    ),
    "publishPaymentFailed": Operation(
        "send", "paymentFailed", "processor", "Announce a failed order."
    ),
    "publishPaymentCancelled": Operation(
        "send", "paymentCancelled", "ingestion", "Announce an order its client cancelled."
    ),
}


class TopicUse(NamedTuple):
    """A loaded route that sends to or receives from a topic (its name without
    KAFKA_TOPIC_PREFIX), run by ``service`` (ingestion, processor, every service)."""

    topic: str
    action: Action
    route_id: str
    service: str


def _derived(
    uses: Sequence[TopicUse], known: dict[str, Channel]
) -> tuple[dict[str, Channel], dict[str, Operation]]:
    """The channels and operations of what the routes use: the flow's own topics as
    described above, any other as a topic of those routes, its messages undescribed."""
    channels: dict[str, Channel] = {}
    operations: dict[str, Operation] = {}
    by_address = {channel.address: channel_id for channel_id, channel in known.items()}
    for (topic, action), found in _grouped(uses).items():
        routes = ", ".join(sorted({use.route_id for use in found}))
        channel_id = by_address.get(topic) or _camel(topic)
        own = [
            (operation_id, operation)
            for operation_id, operation in OPERATIONS.items()
            if operation.channel_id == channel_id and operation.action == action
        ]
        if own and channel_id in known:
            channels[channel_id] = known[channel_id]
            operations.update(own)
            continue
        channels.setdefault(
            channel_id,
            Channel(topic, None, "A topic of the edited flow; its messages are what it sends."),
        )
        services = sorted({use.service for use in found})
        verb = "Send to" if action == "send" else "Receive from"
        operations[f"{action}{channel_id[0].upper()}{channel_id[1:]}"] = Operation(
            action, channel_id, ", ".join(services), f"{verb} it: route {routes}."
        )
    return channels, operations


def _grouped(uses: Sequence[TopicUse]) -> dict[tuple[str, Action], list[TopicUse]]:
    grouped: dict[tuple[str, Action], list[TopicUse]] = {}
    for use in uses:
        grouped.setdefault((use.topic, use.action), []).append(use)
    return grouped


def _camel(topic: str) -> str:
    """``payment.audit`` → ``paymentAudit``: a channel id of the topic's name."""
    words = [word for word in re.split(r"[^A-Za-z0-9]+", topic) if word]
    return words[0].lower() + "".join(word[:1].upper() + word[1:] for word in words[1:])


def _operation(operation: Operation, channel: Channel) -> dict[str, Any]:
    described: dict[str, Any] = {
        "action": operation.action,
        "channel": _ref("channels", operation.channel_id),
        "summary": operation.summary,
        "tags": [{"name": operation.service}],
    }
    if channel.message_id is not None:
        messages = [_ref("channels", operation.channel_id, "messages", channel.message_id)]
        described["messages"] = messages
    if operation.action == "receive":
        group = {"type": "string", "enum": [PROCESSOR_GROUP]}
        described["bindings"] = {
            "kafka": {"groupId": group, "bindingVersion": KAFKA_BINDING_VERSION}
        }
    return described


def _channel(channel: Channel) -> dict[str, Any]:
    described: dict[str, Any] = {"address": channel.address, "description": channel.description}
    if channel.message_id is not None:
        message = _ref("components", "messages", channel.message_id)
        described["messages"] = {channel.message_id: message}
    return described


def document(uses: Sequence[TopicUse] | None = None) -> dict[str, Any]:
    """The document of the payment flow's topics, or of those ``uses`` names: what a
    service's loaded routes send to and receive from, its flow as edited."""
    channels, operations = _channels(), OPERATIONS
    if uses is not None:
        channels, operations = _derived(uses, channels)
    messages = {
        "executePaymentCommand": _message(
            ExecutePaymentCommand,
            "Execute payment",
            "Pay this order (record key: the order id).",
            "recordHeaders",
        ),
        "deadLetteredCommand": _message(
            ExecutePaymentCommand,
            "Dead-lettered execute payment",
            "The command as it was read (any bytes, if it was unreadable), with why.",
            "deadLetterHeaders",
        ),
        "paymentExecuted": _message(
            PaymentEvent, "Payment executed", "The order is EXECUTED.", "recordHeaders"
        ),
        "paymentFailed": _message(
            PaymentEvent, "Payment failed", "The order is FAILED.", "recordHeaders"
        ),
        "paymentCancelled": _message(
            PaymentEvent, "Payment cancelled", "The order is CANCELLED.", "recordHeaders"
        ),
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Payment order orchestrator: payment topics",
            "version": version("payment-orchestrator"),
            "description": (
                "Kafka topics between the ingestion service and the processor workers. "
                "Every topic name takes the KAFKA_TOPIC_PREFIX setting in front, and so "
                "does the processor's consumer group. schemaVersion in each message is "
                "its major version: see docs/contracts.md."
            ),
        },
        "defaultContentType": "application/json",
        "channels": {channel_id: _channel(channel) for channel_id, channel in channels.items()},
        "operations": {
            operation_id: _operation(operation, channels[operation.channel_id])
            for operation_id, operation in operations.items()
        },
        "components": {
            "messages": messages,
            "schemas": _headers(),
            "correlationIds": {
                "correlationId": {
                    "description": "Follows one order through both services and their logs.",
                    "location": f"$message.header#/{headers.CORRELATION_ID}",
                }
            },
        },
    }
