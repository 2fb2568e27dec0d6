"""``log:category?level=INFO&showHeaders=true`` — logs the exchange it is sent."""

from __future__ import annotations

import logging
from typing import Literal

from endpoints.base import Consumer, ConsumerNotSupported, Endpoint, Producer, RouteHandler
from endpoints.component import Component, EndpointOptions
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange


class LogOptions(EndpointOptions):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    show_headers: bool = False


class LogEndpoint(Endpoint):
    def __init__(self, uri: str, category: str, options: LogOptions) -> None:
        super().__init__(uri)
        self.logger = logging.getLogger(category)
        self.level = logging.getLevelName(options.level)
        self.show_headers = options.show_headers

    def create_producer(self) -> Producer:
        return LogProducer(self)

    def create_consumer(self, handler: RouteHandler) -> Consumer:
        raise ConsumerNotSupported(f"{self.uri}: log endpoints can only be sent to")


class LogProducer(Producer):
    def __init__(self, endpoint: LogEndpoint) -> None:
        self.endpoint = endpoint

    async def process(self, exchange: Exchange) -> None:
        endpoint = self.endpoint
        if endpoint.logger.isEnabledFor(endpoint.level):
            if endpoint.show_headers:
                endpoint.logger.log(
                    endpoint.level, "body=%r headers=%r", exchange.body, exchange.headers
                )
            else:
                endpoint.logger.log(endpoint.level, "body=%r", exchange.body)


class LogComponent(Component[LogOptions]):
    options_model = LogOptions

    def make_endpoint(self, uri: str, path: str, options: LogOptions) -> Endpoint:
        if not path:
            raise EndpointError(uri, "log: needs a category, e.g. log:orders")
        return LogEndpoint(uri, path, options)
