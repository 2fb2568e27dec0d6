"""Route definitions: plain data that says what a route does, not how it runs.

The Python DSL and the YAML loader both produce these; ``routes.builder`` turns them
into running pipelines. Keeping the model apart from the runtime (Camel's model →
reifier split) is what lets a YAML route and its Python twin compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from endpoints.processor import BatchProcessor, Processor
from endpoints.redelivery_policy import NO_REDELIVERY, RedeliveryPolicy
from routes.expressions import Expression, Ref

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class IdempotentRepository(Protocol):
    """Remembers message keys; ``add`` must be atomic (true only for the first caller)."""

    async def add(self, key: str) -> bool: ...

    async def contains(self, key: str) -> bool: ...

    async def remove(self, key: str) -> None: ...

    async def confirm(self, key: str) -> None: ...


@dataclass
class ProcessStep:
    processor: Processor | Ref


@dataclass
class ToStep:
    uris: list[str]


@dataclass
class LogStep:
    message: Expression
    level: LogLevel = "INFO"


@dataclass
class SetHeaderStep:
    name: str
    expression: Expression


@dataclass
class RemoveHeadersStep:
    """Drops the headers whose names match ``pattern`` but none of ``exclude`` (shell
    wildcards, case-sensitive), as Camel's removeHeaders: what must not travel on."""

    pattern: str
    exclude: tuple[str, ...] = ()


@dataclass
class SetBodyStep:
    expression: Expression


@dataclass
class WireTapStep:
    uri: str


@dataclass
class FilterStep:
    predicate: Expression
    steps: list[StepDefinition] = field(default_factory=list)


@dataclass
class SplitStep:
    """Each item of the list ``expression`` gives goes through ``steps`` as an exchange
    of its own (Camel's splitter); ``parallel``: all at once."""

    expression: Expression
    steps: list[StepDefinition] = field(default_factory=list)
    parallel: bool = False


@dataclass
class WhenClause:
    predicate: Expression
    steps: list[StepDefinition] = field(default_factory=list)


@dataclass
class ChoiceStep:
    whens: list[WhenClause] = field(default_factory=list)
    otherwise: list[StepDefinition] | None = None


@dataclass
class BatchStep:
    """Group commit (``routes.batch``): exchanges that reach the step close together go
    to ``processor`` in one call of up to ``size``, after at most ``timeout`` seconds —
    or, with ``uri`` instead, to that endpoint's producer as one group (a ``mongodb:``
    insert makes it one ``insert_many``)."""

    processor: BatchProcessor | Ref | None
    size: int = 100
    timeout: float = 0.005
    uri: str | None = None

    def __post_init__(self) -> None:
        if (self.processor is None) == (self.uri is None):
            raise ValueError("batch: needs a processor or an endpoint to send to, not both")
        if self.size < 1:
            raise ValueError(f"batch: size must be at least 1, not {self.size}")
        if self.timeout < 0:
            raise ValueError(f"batch: timeout must not be negative, not {self.timeout}")


@dataclass
class IdempotentConsumerStep:
    key: Expression
    repository: IdempotentRepository | Ref
    steps: list[StepDefinition] = field(default_factory=list)


StepDefinition = (
    ProcessStep
    | ToStep
    | LogStep
    | SetHeaderStep
    | RemoveHeadersStep
    | SetBodyStep
    | WireTapStep
    | FilterStep
    | SplitStep
    | ChoiceStep
    | IdempotentConsumerStep
    | BatchStep
)


@dataclass
class OnException:
    """What to do when a step raises one of ``exceptions`` (or a subclass).

    ``handled``: stop routing; the exchange counts as done and its body is the answer.
    ``continued``: ignore the error and go on with the next step.
    Neither: run ``steps``, then fail the exchange, so its source redelivers it (a
    Kafka record is read again, an HTTP caller gets an error), and log the failure at
    ``log_level`` (Camel's retriesExhaustedLogLevel: INFO, say, for a client's bad
    request that the HTTP answer already reports). The dead-letter channel is for
    errors no ``on_exception`` names.
    """

    exceptions: list[type[BaseException]]
    redelivery: RedeliveryPolicy = NO_REDELIVERY
    handled: bool = False
    continued: bool = False
    steps: list[StepDefinition] = field(default_factory=list)
    log_level: LogLevel = "WARNING"

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        if self.handled and self.continued:
            raise ValueError("on_exception cannot be both handled and continued")
        if not self.exceptions:
            raise ValueError("on_exception needs at least one exception type")


@dataclass
class ErrorHandler:
    """Redelivery for errors no ``on_exception`` matches; then a dead-letter channel, if any.

    With ``dead_letter_uri`` the original message (``use_original_message``) goes there
    with failure headers and the exchange counts as handled; without, the exchange
    fails and its source decides (redeliver a Kafka record, answer HTTP 500).
    ``dead_letter_handle_new_exception`` (Camel's deadLetterHandleNewException): when
    sending to the dead letter fails too, that is logged and the exchange still counts
    as handled; false fails the exchange with the new error, so its source redelivers it.
    """

    redelivery: RedeliveryPolicy = NO_REDELIVERY
    dead_letter_uri: str | None = None
    use_original_message: bool = True
    on_prepare_failure: Processor | Ref | None = None
    dead_letter_handle_new_exception: bool = True


def dead_letter_channel(
    uri: str,
    redelivery: RedeliveryPolicy = NO_REDELIVERY,
    *,
    use_original_message: bool = True,
    on_prepare_failure: Processor | Ref | None = None,
    dead_letter_handle_new_exception: bool = True,
) -> ErrorHandler:
    return ErrorHandler(
        redelivery, uri, use_original_message, on_prepare_failure, dead_letter_handle_new_exception
    )


def default_error_handler(redelivery: RedeliveryPolicy = NO_REDELIVERY) -> ErrorHandler:
    return ErrorHandler(redelivery)


@dataclass
class RouteDefinition:
    from_uri: str
    route_id: str | None = None
    steps: list[StepDefinition] = field(default_factory=list)
    on_exceptions: list[OnException] = field(default_factory=list)
    error_handler: ErrorHandler | None = None
    # Where the route was written (a YAML file, or "python"), for error messages.
    source: str = field(default="python", compare=False)
