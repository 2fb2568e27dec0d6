"""The Python DSL, in the spirit of Camel's Java DSL::

    builder = RouteBuilder()
    (builder.from_("seda:orders").route_id("orders")
        .on_exception(TimeoutError, redelivery=RedeliveryPolicy(3)).handled().end()
        .process(validate)
        .choice()
            .when(simple("${header.kind} == 'urgent'")).to("kafka:urgent")
            .otherwise().to("kafka:normal")
        .end())

Blocks (``filter``, ``choice``, ``idempotent_consumer``, ``on_exception``) collect
steps until ``end()``, which returns the enclosing builder; at the end of a route the
last ``end()`` may be left out.
"""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from endpoints.processor import BatchProcessor, Processor
from endpoints.redelivery_policy import NO_REDELIVERY, RedeliveryPolicy
from routes.definition import (
    BatchStep,
    ChoiceStep,
    ErrorHandler,
    FilterStep,
    IdempotentConsumerStep,
    IdempotentRepository,
    LogLevel,
    LogStep,
    OnException,
    ProcessStep,
    RemoveHeadersStep,
    RouteDefinition,
    SetBodyStep,
    SetHeaderStep,
    SplitStep,
    StepDefinition,
    ToStep,
    WhenClause,
    WireTapStep,
)
from routes.expressions import Constant, Expression, Ref, simple

ParentT = TypeVar("ParentT")
CallableT = TypeVar("CallableT", Processor, BatchProcessor)


def _expression(value: Any) -> Expression:
    """Callables are expressions; anything else is a constant."""
    return value if callable(value) else Constant(value)


def _processor(value: CallableT | str) -> CallableT | Ref:
    return Ref(value) if isinstance(value, str) else value


class Steps:
    """The step verbs every builder shares; each appends to ``self._steps``."""

    _steps: list[StepDefinition]

    def _add(self, step: StepDefinition) -> Self:
        self._steps.append(step)
        return self

    def process(self, processor: Processor | str) -> Self:
        """Run a callable (sync or async) on the exchange; a string names a registered one."""
        return self._add(ProcessStep(_processor(processor)))

    def batch(
        self,
        processor: BatchProcessor | str | None = None,
        *,
        to: str | None = None,
        size: int = 100,
        timeout: float = 0.005,
    ) -> Self:
        """Group commit: exchanges that reach this step close together go to one call of
        ``processor`` (up to ``size`` of them, after at most ``timeout`` seconds), or
        ``to`` an endpoint as one group, then each goes on alone (``routes.batch``); a
        string names a registered processor."""
        named = None if processor is None else _processor(processor)
        return self._add(BatchStep(named, size, timeout, to))

    def to(self, *uris: str) -> Self:
        if not uris:
            raise ValueError("to() needs at least one endpoint URI")
        return self._add(ToStep(list(uris)))

    def log(self, message: str, level: LogLevel = "INFO") -> Self:
        """Log a Simple template, e.g. ``"order ${header.orderId} accepted"``."""
        return self._add(LogStep(simple(message), level))

    def set_header(self, name: str, value: Any) -> Self:
        return self._add(SetHeaderStep(name, _expression(value)))

    def remove_headers(self, pattern: str, *exclude: str) -> Self:
        """Drop the headers matching ``pattern`` but none of ``exclude`` (shell wildcards:
        ``remove_headers("*", "x-correlation-id")`` keeps only that one)."""
        return self._add(RemoveHeadersStep(pattern, exclude))

    def set_body(self, value: Any) -> Self:
        return self._add(SetBodyStep(_expression(value)))

    def transform(self, expression: Expression) -> Self:
        """Replace the body with what ``expression`` computes from the exchange."""
        return self._add(SetBodyStep(expression))

    def wire_tap(self, uri: str) -> Self:
        """Send a copy of the exchange to ``uri`` without waiting for it."""
        return self._add(WireTapStep(uri))

    def filter(self, predicate: Expression) -> Block[Self]:
        step = FilterStep(predicate)
        self._add(step)
        return Block(self, step.steps)

    def split(self, expression: Expression, *, parallel: bool = False) -> Block[Self]:
        """Run the block once for each item of the list ``expression`` gives, each as an
        exchange of its own with the headers and properties of this one; ``parallel``
        runs them all at once. This exchange then goes on as it was, failed with the
        first error of an item once every item ran."""
        step = SplitStep(expression, parallel=parallel)
        self._add(step)
        return Block(self, step.steps)

    def choice(self) -> Choice[Self]:
        step = ChoiceStep()
        self._add(step)
        return Choice(self, step)

    def idempotent_consumer(
        self, key: Expression, repository: IdempotentRepository | str
    ) -> Block[Self]:
        """Run the block once per key; duplicates skip it and get a duplicate header."""
        repo = Ref(repository) if isinstance(repository, str) else repository
        step = IdempotentConsumerStep(key, repo)
        self._add(step)
        return Block(self, step.steps)


class Block(Steps, Generic[ParentT]):
    def __init__(self, parent: ParentT, steps: list[StepDefinition]) -> None:
        self._parent = parent
        self._steps = steps

    def end(self) -> ParentT:
        return self._parent


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


class Choice(Steps, Generic[ParentT]):
    def __init__(self, parent: ParentT, step: ChoiceStep) -> None:
        self._parent = parent
        self._choice = step
        self._steps = []  # steps before the first when() have nowhere to go

    def _add(self, step: StepDefinition) -> Self:
        if not self._choice.whens and self._choice.otherwise is None:
            raise ValueError("choice(): call when(predicate) before adding steps")
        return super()._add(step)

    def when(self, predicate: Expression) -> Self:
        if self._choice.otherwise is not None:
            raise ValueError("choice(): when() after otherwise()")
        clause = WhenClause(predicate)
        self._choice.whens.append(clause)
        self._steps = clause.steps
        return self

    def otherwise(self) -> Self:
        if not self._choice.whens:
            raise ValueError("choice(): otherwise() needs a when() before it")
        self._choice.otherwise = []
        self._steps = self._choice.otherwise
        return self

    def end(self) -> ParentT:
        return self._parent


def _on_exception(
    exceptions: tuple[type[BaseException], ...],
    redelivery: RedeliveryPolicy,
    handled: bool,
    continued: bool,
    log_level: LogLevel,
) -> OnException:
    return OnException(list(exceptions), redelivery, handled, continued, log_level=log_level)


class RouteDsl(Steps):
    def __init__(self, definition: RouteDefinition) -> None:
        self.definition = definition
        self._steps = definition.steps

    def route_id(self, route_id: str) -> Self:
        self.definition.route_id = route_id
        return self

    def on_exception(
        self,
        *exceptions: type[BaseException],
        redelivery: RedeliveryPolicy = NO_REDELIVERY,
        handled: bool = False,
        continued: bool = False,
        log_level: LogLevel = "WARNING",
    ) -> OnExceptionBlock[Self]:
        policy = _on_exception(exceptions, redelivery, handled, continued, log_level)
        self.definition.on_exceptions.append(policy)
        return OnExceptionBlock(self, policy)

    def error_handler(self, handler: ErrorHandler) -> Self:
        self.definition.error_handler = handler
        return self


class RouteBuilder:
    """Collects routes and the engine-wide error handling that applies to all of them."""

    def __init__(self) -> None:
        self.routes: list[RouteDefinition] = []
        self.on_exceptions: list[OnException] = []
        self.default_error_handler: ErrorHandler | None = None

    def from_(self, uri: str) -> RouteDsl:
        definition = RouteDefinition(from_uri=uri)
        self.routes.append(definition)
        return RouteDsl(definition)

    def on_exception(
        self,
        *exceptions: type[BaseException],
        redelivery: RedeliveryPolicy = NO_REDELIVERY,
        handled: bool = False,
        continued: bool = False,
        log_level: LogLevel = "WARNING",
    ) -> OnExceptionBlock[RouteBuilder]:
        policy = _on_exception(exceptions, redelivery, handled, continued, log_level)
        self.on_exceptions.append(policy)
        return OnExceptionBlock(self, policy)

    def error_handler(self, handler: ErrorHandler) -> RouteBuilder:
        self.default_error_handler = handler
        return self
