"""``log:category?level=INFO&showHeaders=true`` — logs the exchange it is sent, as
Camel's log component does: under the logger ``category``, at ``level`` (TRACE, DEBUG,
INFO, WARN, ERROR or OFF), as ``Exchange[Headers: {...}, BodyType: str, Body: ...]``
with what the ``show*`` options ask for (``showAll``: everything), on one line or, with
``multiline=true``, one line each. The types are Python's; the engine has no exchange
pattern, so ``showExchangePattern`` has nothing to show."""

from __future__ import annotations

import logging
from typing import Any, Literal

from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange

# Camel's levels as the logging module numbers them (TRACE below DEBUG).
LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40}


class LogOptions(EndpointOptions):
    level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"] = "INFO"
    show_headers: bool = False
    show_properties: bool = False
    show_body_type: bool = True
    show_body: bool = True
    show_all: bool = False
    show_exchange_pattern: bool = True
    multiline: bool = False


class LogEndpoint(Endpoint):
    def __init__(self, uri: str, category: str, options: LogOptions) -> None:
        super().__init__(uri)
        self.logger = logging.getLogger(category)
        self.level = LEVELS.get(options.level)  # None: OFF
        self.options = options

    def create_producer(self) -> Producer:
        return LogProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(f"{self.uri}: log endpoints can only be sent to")

    def line(self, exchange: Exchange) -> str:
        shown = self.options
        parts: list[str] = []
        every = shown.show_all
        if every or shown.show_properties:
            parts.append(f"Properties: {_text(exchange.properties)}")
        if every or shown.show_headers:
            parts.append(f"Headers: {_text(exchange.headers)}")
        if every or shown.show_body_type:
            parts.append(f"BodyType: {type(exchange.body).__name__}")
        if every or shown.show_body:
            parts.append(f"Body: {_text(exchange.body)}")
        if shown.multiline:
            return "Exchange[\n" + "".join(f"  {part}\n" for part in parts) + "]"
        return "Exchange[" + ", ".join(parts) + "]"


def _text(value: Any) -> str:
    return "[Body is null]" if value is None else str(value)


class LogProducer(Producer):
    def __init__(self, endpoint: LogEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        endpoint = self.endpoint
        if endpoint.level is not None and endpoint.logger.isEnabledFor(endpoint.level):
            endpoint.logger.log(endpoint.level, "%s", endpoint.line(exchange))


class LogComponent(Component[LogOptions]):
    options_model = LogOptions

    def make_endpoint(self, uri: str, path: str, options: LogOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "log: needs a category, e.g. log:orders")
        return LogEndpoint(uri, path, options)
