"""The Python DSL, in the spirit of Camel's Java DSL::

    builder = RouteBuilder()
    (builder.from_("seda:orders").route_id("orders")
        .on_exception(TimeoutError, redelivery=RedeliveryPolicy(3)).handled().end()
        .process(validate)
        .choice()
            .when(simple("${header.kind} == 'urgent'")).to("kafka:urgent")
            .otherwise().to("kafka:normal")
        .end())

Each verb (``routes.verbs``) is the snake_case name of Camel's EIP and means what it
does there; a time given as a number is in seconds, as Python counts them (redelivery
delays, ``completion_timeout``, a throttle's ``time_period``), what an expression gives
in Camel's unit (a ``delay``, milliseconds). Blocks (``filter``, ``choice``, ``split``,
``multicast``, ``do_try``, ``loop``, ``aggregate``, ``idempotent_consumer``,
``on_exception``) collect steps until ``end()``, which returns the enclosing builder;
at the end of a route the last ``end()`` may be left out.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Self, TypeVar

from endpoints.redelivery_policy import NO_REDELIVERY, RedeliveryPolicy
from routes.definition import ErrorHandler, OnException, RouteConfiguration, RouteDefinition
from routes.steps import LogLevel
from routes.verbs import Block, Steps

ParentT = TypeVar("ParentT")


class OnExceptionBlock(Block[ParentT]):
    def __init__(self, parent: ParentT, definition: OnException) -> None:
        super().__init__(parent, definition.steps)
        self._definition = definition

    def handled(self, value: bool = True) -> Self:
        self._definition.handled = value
        self._definition.check()
        return self

    def continued(self, value: bool = True) -> Self:
        self._definition.continued = value
        self._definition.check()
        return self


class ErrorHandling(ABC):
    """``on_exception`` and ``error_handler``: for a route, a route configuration, or
    every route of a builder."""

    @abstractmethod
    def _policies(self) -> list[OnException]: ...

    @abstractmethod
    def _handle_with(self, handler: ErrorHandler) -> None: ...

    def on_exception(
        self,
        *exceptions: type[BaseException],
        redelivery: RedeliveryPolicy = NO_REDELIVERY,
        handled: bool = False,
        continued: bool = False,
        log_level: LogLevel = "WARNING",
        log_handled: bool = False,
    ) -> OnExceptionBlock[Self]:
        policy = OnException(
            list(exceptions),
            redelivery,
            handled,
            continued,
            log_level=log_level,
            log_handled=log_handled,
        )
        self._policies().append(policy)
        return OnExceptionBlock(self, policy)

    def error_handler(self, handler: ErrorHandler) -> Self:
        self._handle_with(handler)
        return self


class RouteConfigurationDsl(ErrorHandling):
    """Error handling the routes that name this configuration's id take."""

    def __init__(self, configuration: RouteConfiguration) -> None:
        self.configuration = configuration

    def _policies(self) -> list[OnException]:
        return self.configuration.on_exceptions

    def _handle_with(self, handler: ErrorHandler) -> None:
        self.configuration.error_handler = handler


class RouteDsl(Steps, ErrorHandling):
    def __init__(self, definition: RouteDefinition) -> None:
        self.definition = definition
        self._steps = definition.steps

    def route_id(self, route_id: str) -> Self:
        self.definition.route_id = route_id
        return self

    def description(self, text: str) -> Self:
        self.definition.description = text
        return self

    def route_configuration_id(self, *ids: str) -> Self:
        """Take the error handling of the route configurations with these ids."""
        self.definition.route_configuration_ids = ids
        return self

    def _policies(self) -> list[OnException]:
        return self.definition.on_exceptions

    def _handle_with(self, handler: ErrorHandler) -> None:
        self.definition.error_handler = handler


class RouteBuilder(ErrorHandling):
    """Collects routes, the route configurations they name, and the error handling for
    every route that names none (Camel's route configuration without an id)."""

    def __init__(self) -> None:
        self.routes: list[RouteDefinition] = []
        # The route configuration without an id: for every route.
        self.on_exceptions: list[OnException] = []
        self.default_error_handler: ErrorHandler | None = None
        # Those with an id, for the routes that name it; and the beans to bind by name.
        self.route_configurations: list[RouteConfiguration] = []
        self.beans: dict[str, Any] = {}

    def from_(self, uri: str) -> RouteDsl:
        definition = RouteDefinition(from_uri=uri)
        self.routes.append(definition)
        return RouteDsl(definition)

    def route_configuration(self, configuration_id: str) -> RouteConfigurationDsl:
        """Error handling for the routes that name ``configuration_id``."""
        configuration = RouteConfiguration(configuration_id)
        self.route_configurations.append(configuration)
        return RouteConfigurationDsl(configuration)

    def _policies(self) -> list[OnException]:
        return self.on_exceptions

    def _handle_with(self, handler: ErrorHandler) -> None:
        self.default_error_handler = handler
