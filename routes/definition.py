"""Route definitions: plain data that says what a route does, not how it runs — its
endpoint, its steps (``routes.steps``) and its error handling.

The Python DSL and the YAML loader both produce these; ``routes.builder`` turns them
into running pipelines. Keeping the model apart from the runtime (Camel's model →
reifier split) is what lets a YAML route and its Python twin compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from endpoints.processor import Processor
from endpoints.redelivery_policy import NO_REDELIVERY, RedeliveryPolicy
from routes.expressions import Expression, Ref
from routes.steps import LogLevel, StepDefinition


@dataclass
class OnException:
    """What to do when a step raises one of ``exceptions`` (or a subclass).

    ``handled``: stop routing; the exchange counts as done and its body is the answer.
    ``continued``: ignore the error and go on with the next step.
    Neither: run ``steps``, then fail the exchange, so its source redelivers it (a
    Kafka record is read again, an HTTP caller gets an error), and log the failure at
    ``log_level`` (Camel's retriesExhaustedLogLevel: INFO, say, for a client's bad
    request that the HTTP answer already reports); a handled one only with
    ``log_handled`` (Camel's logHandled), at that level. As in Camel, a policy without
    steps under a dead-letter channel leaves the error to the channel once its own
    redeliveries are spent: the channel takes every error no policy's steps have.
    """

    exceptions: list[type[BaseException]]
    redelivery: RedeliveryPolicy = NO_REDELIVERY
    handled: bool | Expression = False  # Camel's: a predicate, here a bool or a predicate
    continued: bool | Expression = False
    steps: list[StepDefinition] = field(default_factory=list)
    log_level: LogLevel = "WARNING"
    on_when: Expression | None = None  # the policy applies only where this holds
    use_original_message: bool = False  # its steps get the message as it came
    use_original_body: bool = False  # … or the message now, with the body it came with
    log_handled: bool = False  # Camel's logHandled: a handled error is logged too

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        if self.handled is True and self.continued is True:
            raise ValueError("on_exception cannot be both handled and continued")
        if not self.exceptions:
            raise ValueError("on_exception needs at least one exception type")


@dataclass
class ErrorHandler:
    """Redelivery for errors no ``on_exception`` matches; then a dead-letter channel, if any.

    With ``dead_letter_uri`` the message as it failed — or, with ``use_original_message``,
    as it arrived — goes there with failure headers and the exchange counts as handled;
    without, the exchange fails and its source decides (redeliver a Kafka record, answer
    HTTP 500).
    ``dead_letter_handle_new_exception`` (Camel's deadLetterHandleNewException): when
    sending to the dead letter fails too, that is logged and the exchange still counts
    as handled; false fails the exchange with the new error, so its source redelivers it.
    """

    redelivery: RedeliveryPolicy = NO_REDELIVERY
    dead_letter_uri: str | None = None
    use_original_message: bool = False
    on_prepare_failure: Processor | Ref | None = None
    dead_letter_handle_new_exception: bool = True
    use_original_body: bool = False  # the message as it failed, with the body it came with


def dead_letter_channel(
    uri: str,
    redelivery: RedeliveryPolicy = NO_REDELIVERY,
    *,
    use_original_message: bool = False,
    use_original_body: bool = False,
    on_prepare_failure: Processor | Ref | None = None,
    dead_letter_handle_new_exception: bool = True,
) -> ErrorHandler:
    return ErrorHandler(
        redelivery,
        uri,
        use_original_message,
        on_prepare_failure,
        dead_letter_handle_new_exception,
        use_original_body,
    )


def default_error_handler(redelivery: RedeliveryPolicy = NO_REDELIVERY) -> ErrorHandler:
    return ErrorHandler(redelivery)


@dataclass
class RouteConfiguration:
    """Camel's routeConfiguration: error handling shared by routes. Without an id it
    applies to every route; with one, to the routes that name it."""

    id: str | None = None
    on_exceptions: list[OnException] = field(default_factory=list)
    error_handler: ErrorHandler | None = None


@dataclass
class RouteDefinition:
    from_uri: str
    route_id: str | None = None
    steps: list[StepDefinition] = field(default_factory=list)
    on_exceptions: list[OnException] = field(default_factory=list)
    error_handler: ErrorHandler | None = None
    description: str | None = None
    route_configuration_ids: tuple[str, ...] = ()
    # Where the route was written (a YAML file, or "python"), for error messages.
    source: str = field(default="python", compare=False)
