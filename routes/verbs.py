"""The verbs of the Python DSL (``Steps``): one per EIP, the snake_case of Camel's name,
meaning what Camel's EIP means; and the blocks they open (``Block``, ``Choice``,
``Try``), which collect steps until ``end()``. ``routes.dsl`` builds routes with them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, Literal, Self, TypeVar

from endpoints.processor import BatchProcessor, Processor
from routes.expressions import Constant, Expression, Ref
from routes.simple import simple
from routes.steps import (
    AggregateStep,
    BatchStep,
    CatchClause,
    ChoiceStep,
    ConvertBodyToStep,
    DelayStep,
    DoTryStep,
    EnrichStep,
    FilterStep,
    IdempotentConsumerStep,
    IdempotentRepository,
    LogLevel,
    LogStep,
    LoopStep,
    MarshalStep,
    MulticastStep,
    ProcessStep,
    RecipientListStep,
    RemoveHeadersStep,
    RemoveHeaderStep,
    RemovePropertyStep,
    SetBodyStep,
    SetHeadersStep,
    SetHeaderStep,
    SetPropertyStep,
    SplitStep,
    StepDefinition,
    StopStep,
    Strategy,
    ThrottleStep,
    ThrowExceptionStep,
    ToDynamicStep,
    ToStep,
    UnmarshalStep,
    WhenClause,
    WireTapStep,
)

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

    def to_d(self, uri: str, *, ignore_invalid_endpoint: bool = False) -> Self:
        """Send to the endpoint the Simple template ``uri`` names for each exchange."""
        return self._add(ToDynamicStep(simple(uri), ignore_invalid_endpoint))

    def log(self, message: str, level: LogLevel = "INFO", log_name: str | None = None) -> Self:
        """Log a Simple template, e.g. ``"order ${header.orderId} accepted"``."""
        return self._add(LogStep(simple(message), level, log_name))

    def set_header(self, name: str, value: Any) -> Self:
        return self._add(SetHeaderStep(name, _expression(value)))

    def set_headers(self, values: Mapping[str, Any]) -> Self:
        """Set several headers in order; each value sees the headers set before it."""
        return self._add(SetHeadersStep([(name, _expression(v)) for name, v in values.items()]))

    def set_property(self, name: str, value: Any) -> Self:
        return self._add(SetPropertyStep(name, _expression(value)))

    def remove_header(self, name: str) -> Self:
        return self._add(RemoveHeaderStep(name))

    def remove_headers(self, pattern: str, *exclude: str) -> Self:
        """Drop the headers matching ``pattern`` but none of ``exclude``, as Camel matches
        them: exactly, by a trailing ``*``, or as a regular expression, in any case."""
        return self._add(RemoveHeadersStep(pattern, exclude))

    def remove_property(self, name: str) -> Self:
        return self._add(RemovePropertyStep(name))

    def set_body(self, value: Any) -> Self:
        return self._add(SetBodyStep(_expression(value)))

    def transform(self, expression: Expression) -> Self:
        """Replace the body with what ``expression`` computes from the exchange."""
        return self._add(SetBodyStep(expression))

    def convert_body_to(self, target: type, charset: str = "utf-8") -> Self:
        return self._add(ConvertBodyToStep(target, charset))

    def marshal(self, data_format: Literal["json"] = "json") -> Self:
        return self._add(MarshalStep(data_format))

    def unmarshal(self, data_format: Literal["json"] = "json") -> Self:
        return self._add(UnmarshalStep(data_format))

    def stop(self) -> Self:
        """End routing of this exchange, as done: no error, no step after this one."""
        return self._add(StopStep())

    def throw_exception(self, exception_type: type[Exception], message: str | None = None) -> Self:
        """Fail the exchange with a new ``exception_type``; ``message`` is a Simple template."""
        return self._add(
            ThrowExceptionStep(exception_type, simple(message) if message is not None else None)
        )

    def wire_tap(self, uri: str) -> Self:
        """Send a copy of the exchange to ``uri`` without waiting for it."""
        return self._add(WireTapStep(uri))

    def delay(self, milliseconds: Any) -> Self:
        return self._add(DelayStep(_expression(milliseconds)))

    def throttle(
        self,
        maximum: Any,
        *,
        time_period: float = 1.0,
        mode: Literal["ConcurrentRequests", "TotalRequests"] = "TotalRequests",
        reject_execution: bool = False,
        correlation: Expression | None = None,
    ) -> Self:
        """At most ``maximum`` exchanges starting per ``time_period`` seconds past this
        point (or, in ``ConcurrentRequests`` mode, at once), per ``correlation`` key."""
        return self._add(
            ThrottleStep(_expression(maximum), mode, time_period, reject_execution, correlation)
        )

    def enrich(
        self,
        uri: Any,
        aggregation_strategy: Strategy | None = None,
        *,
        aggregate_on_exception: bool = False,
    ) -> Self:
        """Merge the reply of the endpoint ``uri`` names into the message; with
        ``aggregate_on_exception`` the strategy also sees the endpoint's failure."""
        return self._add(EnrichStep(_expression(uri), aggregation_strategy, aggregate_on_exception))

    def recipient_list(
        self,
        recipients: Expression,
        *,
        delimiter: str = ",",
        parallel_processing: bool = False,
        stop_on_exception: bool = False,
        ignore_invalid_endpoints: bool = False,
        aggregation_strategy: Strategy | None = None,
    ) -> Self:
        return self._add(
            RecipientListStep(
                recipients,
                delimiter,
                parallel_processing,
                stop_on_exception,
                ignore_invalid_endpoints,
                aggregation_strategy,
            )
        )

    def filter(self, predicate: Expression, *, status_property: str | None = None) -> Block[Self]:
        """Run the block only where ``predicate`` holds (and keep the outcome in the
        exchange property ``status_property``)."""
        step = FilterStep(predicate, status_property=status_property)
        self._add(step)
        return Block(self, step.steps)

    def split(
        self,
        expression: Expression,
        *,
        parallel_processing: bool = False,
        stop_on_exception: bool = False,
        aggregation_strategy: Strategy | None = None,
        delimiter: str = ",",
        streaming: bool = False,
    ) -> Block[Self]:
        """Run the block once for each item ``expression`` gives (a list's items, what an
        iterator yields, a text's parts between ``delimiter``s), each as an exchange of
        its own with the headers and properties of this one. This exchange then goes on
        as it came (or as ``aggregation_strategy`` gathers the parts), failed with the
        first error of a part. ``streaming``: the items are taken as the parts run
        (``routes.eips.splitter``)."""
        step = SplitStep(
            expression,
            parallel_processing=parallel_processing,
            stop_on_exception=stop_on_exception,
            aggregation_strategy=aggregation_strategy,
            streaming=streaming,
            delimiter=delimiter,
        )
        self._add(step)
        return Block(self, step.steps)

    def multicast(
        self,
        *,
        parallel_processing: bool = False,
        stop_on_exception: bool = False,
        aggregation_strategy: Strategy | None = None,
    ) -> Block[Self]:
        """Each step of the block gets a copy of the exchange."""
        step = MulticastStep(
            parallel_processing=parallel_processing,
            stop_on_exception=stop_on_exception,
            aggregation_strategy=aggregation_strategy,
        )
        self._add(step)
        return Block(self, step.steps)

    def loop(self, expression: Any, *, copy: bool = False, do_while: bool = False) -> Block[Self]:
        step = LoopStep(_expression(expression), copy=copy, do_while=do_while)
        self._add(step)
        return Block(self, step.steps)

    def aggregate(
        self,
        correlation: Expression,
        aggregation_strategy: Strategy | None = None,
        *,
        completion_size: int | None = None,
        completion_timeout: float | None = None,
        completion_predicate: Expression | None = None,
    ) -> Block[Self]:
        step = AggregateStep(
            correlation,
            aggregation_strategy=aggregation_strategy,
            completion_size=completion_size,
            completion_timeout=completion_timeout,
            completion_predicate=completion_predicate,
        )
        self._add(step)
        return Block(self, step.steps)

    def do_try(self) -> Try[Self]:
        step = DoTryStep()
        self._add(step)
        return Try(self, step)

    def choice(self) -> Choice[Self]:
        step = ChoiceStep()
        self._add(step)
        return Choice(self, step)

    def idempotent_consumer(
        self,
        key: Expression,
        repository: IdempotentRepository | str,
        *,
        skip_duplicate: bool = True,
    ) -> Block[Self]:
        """Run the block once per key; a duplicate skips it (with ``skip_duplicate``) and
        carries the property ``CamelDuplicateMessage``."""
        repo = Ref(repository) if isinstance(repository, str) else repository
        step = IdempotentConsumerStep(key, repo, skip_duplicate=skip_duplicate)
        self._add(step)
        return Block(self, step.steps)


class Block(Steps, Generic[ParentT]):
    def __init__(self, parent: ParentT, steps: list[StepDefinition]) -> None:
        self._parent = parent
        self._steps = steps

    def end(self) -> ParentT:
        return self._parent


class Try(Steps, Generic[ParentT]):
    """``do_try()`` steps, then ``do_catch(*types)`` and ``do_finally()`` clauses."""

    def __init__(self, parent: ParentT, step: DoTryStep) -> None:
        self._parent = parent
        self._try = step
        self._steps = step.steps

    def do_catch(self, *exceptions: type[BaseException], on_when: Expression | None = None) -> Self:
        if self._try.finally_steps is not None:
            raise ValueError("do_try(): do_catch() after do_finally()")
        clause = CatchClause(list(exceptions), on_when=on_when)
        self._try.catches.append(clause)
        self._steps = clause.steps
        return self

    def do_finally(self) -> Self:
        self._try.finally_steps = []
        self._steps = self._try.finally_steps
        return self

    def end(self) -> ParentT:
        return self._parent


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
