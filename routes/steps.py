"""The steps of a route as plain data, one class per EIP, each meaning what Camel's EIP of
that name means (its page under Camel's ``eips/pages``); ``batch`` (group commit) is
the engine's own. The Python DSL and the YAML loader build these; ``routes.builder``
turns them into running steps; ``routes.describe`` draws them.

Steps that hold steps (``filter``, ``split`` …) hold them in ``steps``; in YAML a
block without ``steps`` takes the steps after it (Camel's flow mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from endpoints.exchange import Exchange
from endpoints.processor import BatchProcessor, Processor
from routes.expressions import Expression, Method, Ref

# Camel's logging levels (LoggingLevel); WARN and TRACE as Camel spells them.
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "OFF"]


class IdempotentRepository(Protocol):
    """Remembers message keys; ``add`` must be atomic (true only for the first caller)."""

    async def add(self, key: str) -> bool: ...

    async def contains(self, key: str) -> bool: ...

    async def remove(self, key: str) -> None: ...

    async def confirm(self, key: str) -> None: ...


class AggregationStrategy(Protocol):
    """Camel's AggregationStrategy: combines what has been gathered so far (None for the
    first) with the next exchange, and answers the exchange that carries on."""

    def __call__(self, gathered: Exchange | None, incoming: Exchange) -> Exchange: ...


# A strategy, a bound one by name, or a bound bean's method that merges two bodies.
Strategy = AggregationStrategy | Ref | Method


class StepDefinition:
    """Base of every step's definition."""


# -- leaf steps ---------------------------------------------------------------------------
@dataclass
class ProcessStep(StepDefinition):
    processor: Processor | Ref


@dataclass
class ToStep(StepDefinition):
    uris: list[str]


@dataclass
class ToDynamicStep(StepDefinition):
    """``toD``: the endpoint URI is a Simple template evaluated for each exchange."""

    uri: Expression
    ignore_invalid_endpoint: bool = False


@dataclass
class LogStep(StepDefinition):
    message: Expression
    level: LogLevel = "INFO"
    log_name: str | None = None  # the logger; None: the route's


@dataclass
class SetHeaderStep(StepDefinition):
    name: str
    expression: Expression


@dataclass
class SetHeadersStep(StepDefinition):
    """Several headers, set in order: each value sees the headers set before it."""

    headers: list[tuple[str, Expression]]


@dataclass
class SetPropertyStep(StepDefinition):
    name: str
    expression: Expression


@dataclass
class RemoveHeaderStep(StepDefinition):
    name: str


@dataclass
class RemoveHeadersStep(StepDefinition):
    """Drops the headers matching ``pattern`` but none of ``exclude``, as Camel matches
    header names: exactly, by a trailing ``*`` wildcard, or as a regular expression,
    without regard to case."""

    pattern: str
    exclude: tuple[str, ...] = ()


@dataclass
class RemovePropertyStep(StepDefinition):
    name: str


@dataclass
class SetBodyStep(StepDefinition):
    expression: Expression


@dataclass
class ConvertBodyToStep(StepDefinition):
    """The body converted to ``type`` (a Python type: str, bytes, int, float, Decimal,
    bool, dict, list), as Camel's type converters would."""

    type: type
    charset: str = "utf-8"


@dataclass
class MarshalStep(StepDefinition):
    """The body written in a data format (JSON here: Camel's ``json`` data format)."""

    data_format: Literal["json"] = "json"


@dataclass
class UnmarshalStep(StepDefinition):
    data_format: Literal["json"] = "json"


@dataclass
class StopStep(StepDefinition):
    """Ends the routing of the exchange, in this route and any that called it."""


@dataclass
class ThrowExceptionStep(StepDefinition):
    """Fails the exchange with a new ``exception_type``, its message the Simple template
    ``message`` renders (Camel's throwException)."""

    exception_type: type[Exception]
    message: Expression | None = None


@dataclass
class WireTapStep(StepDefinition):
    uri: str


@dataclass
class DelayStep(StepDefinition):
    """Waits the milliseconds ``expression`` gives before going on."""

    expression: Expression


@dataclass
class ThrottleStep(StepDefinition):
    """At most ``expression`` exchanges starting per ``time_period`` seconds past this
    point (Camel's throttle, ``TotalRequests`` mode), or that many at once
    (``ConcurrentRequests``); others wait their turn, or fail with
    ``reject_execution``. With ``correlation``, each key it gives is throttled apart."""

    expression: Expression
    mode: Literal["ConcurrentRequests", "TotalRequests"] = "TotalRequests"
    time_period: float = 1.0
    reject_execution: bool = False
    correlation: Expression | None = None


@dataclass
class EnrichStep(StepDefinition):
    """Sends a copy of the exchange to the endpoint ``expression`` names and merges the
    reply with ``aggregation_strategy`` (by default the reply replaces the message).
    When the endpoint fails, the step fails and the strategy is not called; with
    ``aggregate_on_exception`` the strategy is called with the failure on the resource
    exchange, and may clear it or put another in its place: the step fails with what
    the exchange it answers still carries."""

    expression: Expression
    aggregation_strategy: Strategy | None = None
    aggregate_on_exception: bool = False


@dataclass
class BatchStep(StepDefinition):
    """Group commit (``routes.batch``), the engine's own: exchanges that reach the step
    close together go to ``processor`` in one call of up to ``size``, after at most
    ``timeout`` seconds — or, with ``uri`` instead, to that endpoint's producer as one
    group (a ``mongodb:`` insert makes it one ``insert_many``)."""

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


# -- blocks -------------------------------------------------------------------------------
@dataclass
class FilterStep(StepDefinition):
    """Runs ``steps`` only where ``predicate`` holds; the route goes on either way. The
    outcome is the property ``CamelFilterMatched``, and ``status_property`` too."""

    predicate: Expression
    steps: list[StepDefinition] = field(default_factory=list)
    status_property: str | None = None


@dataclass
class WhenClause:
    predicate: Expression
    steps: list[StepDefinition] = field(default_factory=list)


@dataclass
class ChoiceStep(StepDefinition):
    whens: list[WhenClause] = field(default_factory=list)
    otherwise: list[StepDefinition] | None = None


@dataclass
class SplitStep(StepDefinition):
    """Each item of what ``expression`` gives — a list's items, a text's comma-separated
    parts — goes through ``steps`` as an exchange of its own (Camel's splitter). Then
    this exchange goes on as it came, or as ``aggregation_strategy`` gathers the parts."""

    expression: Expression
    steps: list[StepDefinition] = field(default_factory=list)
    parallel_processing: bool = False
    stop_on_exception: bool = False
    aggregation_strategy: Strategy | None = None
    streaming: bool = False  # CamelSplitSize only on the last part, as Camel's streaming
    delimiter: str = ","  # of a text; "false": the text whole; "single": the value whole


@dataclass
class IdempotentConsumerStep(StepDefinition):
    """Runs ``steps`` once per key; a duplicate skips them (``skip_duplicate``) and
    carries the property ``CamelDuplicateMessage``."""

    key: Expression
    repository: IdempotentRepository | Ref
    steps: list[StepDefinition] = field(default_factory=list)
    skip_duplicate: bool = True


@dataclass
class MulticastStep(StepDefinition):
    """Each of ``steps`` gets a copy of the exchange; the result is the last one's, or
    what ``aggregation_strategy`` gathers."""

    steps: list[StepDefinition] = field(default_factory=list)
    parallel_processing: bool = False
    stop_on_exception: bool = False
    aggregation_strategy: Strategy | None = None


@dataclass
class RecipientListStep(StepDefinition):
    """Sends a copy to each endpoint ``expression`` names (a list, or text split by
    ``delimiter``); the result as for multicast."""

    expression: Expression
    delimiter: str = ","
    parallel_processing: bool = False
    stop_on_exception: bool = False
    ignore_invalid_endpoints: bool = False
    aggregation_strategy: Strategy | None = None


@dataclass
class CatchClause:
    exceptions: list[type[BaseException]]
    steps: list[StepDefinition] = field(default_factory=list)
    on_when: Expression | None = None


@dataclass
class DoTryStep(StepDefinition):
    """``doTry`` … ``doCatch`` … ``doFinally``: Java's try, for a route's steps."""

    steps: list[StepDefinition] = field(default_factory=list)
    catches: list[CatchClause] = field(default_factory=list)
    finally_steps: list[StepDefinition] | None = None


@dataclass
class LoopStep(StepDefinition):
    """Runs ``steps`` the number of times ``expression`` gives, or while it is true
    (``do_while``); ``copy`` starts each round from a copy of the message as it came."""

    expression: Expression
    steps: list[StepDefinition] = field(default_factory=list)
    copy: bool = False
    do_while: bool = False


@dataclass
class AggregateStep(StepDefinition):
    """Gathers the exchanges that share a correlation key and, once a group is
    complete (``completion_size``, ``completion_timeout`` seconds, or
    ``completion_predicate``), sends the gathered exchange through ``steps``; the
    incoming exchanges end here. Without a strategy the gathered body is the list of
    the bodies."""

    correlation: Expression
    steps: list[StepDefinition] = field(default_factory=list)
    aggregation_strategy: Strategy | None = None
    completion_size: int | None = None
    completion_timeout: float | None = None
    completion_predicate: Expression | None = None


def nested(step: StepDefinition) -> list[list[StepDefinition]]:
    """Every list of steps ``step`` holds, in order (for walking a route)."""
    match step:
        case ChoiceStep(whens=whens, otherwise=otherwise):
            return [*(when.steps for when in whens), *([otherwise] if otherwise else [])]
        case DoTryStep(steps=steps, catches=catches, finally_steps=finally_steps):
            found = [steps, *(catch.steps for catch in catches)]
            return found + ([finally_steps] if finally_steps is not None else [])
    held: Any = getattr(step, "steps", None)
    return [held] if isinstance(held, list) else []
