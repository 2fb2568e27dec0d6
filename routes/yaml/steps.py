"""The steps of a route file, each read by its EIP's spec (``routes.yaml.options``) so that
an error says where it is, then built into the route model. A step is a map of one key, the EIP's
name. A step that holds steps (filter, split, aggregate, loop, idempotentConsumer,
multicast) and has no ``steps`` key takes the steps after it (Camel's flow mode).
``batch`` is the engine's own (group commit), under a name Camel does not use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from routes.eips.conversions import type_named
from routes.expressions import ExpressionError, ref
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
    ThrottleStep,
    ThrowExceptionStep,
    ToDynamicStep,
    ToStep,
    UnmarshalStep,
    WhenClause,
    WireTapStep,
)
from routes.yaml.expressions import ExpressionAware
from routes.yaml.handling import exception_type
from routes.yaml.options import (
    AggregateSpec,
    BatchSpec,
    ChoiceSpec,
    ConvertBodyToSpec,
    DataFormatSpec,
    DelaySpec,
    DoTrySpec,
    EndpointSpec,
    EnrichSpec,
    FilterSpec,
    IdempotentConsumerSpec,
    LogSpec,
    LoopSpec,
    MulticastSpec,
    NameSpec,
    ProcessSpec,
    RecipientListSpec,
    RemoveHeadersSpec,
    SetHeaderSpec,
    SetHeadersSpec,
    SplitSpec,
    StopSpec,
    ThrottleSpec,
    ThrowExceptionSpec,
    ToDSpec,
    WhenSpec,
)
from routes.yaml.problems import Path, Problems
from routes.yaml.spec import Node

Parse = Callable[[Any, Path], list[StepDefinition]]


def _throw(spec: ThrowExceptionSpec, parse: Parse, path: Path) -> ThrowExceptionStep:
    found = exception_type(spec.exception_type)
    if not issubclass(found, Exception):
        raise ValueError(f"{spec.exception_type!r} is no Exception a route may raise")
    return ThrowExceptionStep(found, simple(spec.message) if spec.message is not None else None)


@dataclass(frozen=True)
class Eip:
    """One step key: its spec, the field a plain string stands for (``to: "uri"``),
    and whether it takes the steps after it when it has none (flow mode)."""

    spec: type[Node]
    build: Callable[[Any, Parse, Path], StepDefinition]
    shorthand: str | None = None
    flow: bool = False


def _when(spec: WhenSpec, parse: Parse, path: Path, index: int) -> WhenClause:
    return WhenClause(spec.build_expression(), parse(spec.steps, (*path, "when", index, "steps")))


def _choice(spec: ChoiceSpec, parse: Parse, path: Path) -> ChoiceStep:
    otherwise = spec.otherwise
    return ChoiceStep(
        [_when(when, parse, path, index) for index, when in enumerate(spec.when)],
        parse(otherwise.steps, (*path, "otherwise", "steps")) if otherwise else None,
    )


def _do_try(spec: DoTrySpec, parse: Parse, path: Path) -> DoTryStep:
    catches = [
        CatchClause(
            [exception_type(name) for name in catch.exception],
            parse(catch.steps, (*path, "doCatch", index, "steps")),
            catch.on_when.build() if catch.on_when else None,
        )
        for index, catch in enumerate(spec.do_catch)
    ]
    finally_ = spec.do_finally
    return DoTryStep(
        parse(spec.steps, (*path, "steps")),
        catches,
        parse(finally_.steps, (*path, "doFinally", "steps")) if finally_ else None,
    )


def _set_headers(spec: SetHeadersSpec, parse: Parse, path: Path) -> SetHeadersStep:
    return SetHeadersStep([(item.name, item.build_expression()) for item in spec.headers])


def _batch(spec: BatchSpec, parse: Parse, path: Path) -> BatchStep:
    if (spec.process is None) == (spec.to is None):
        raise ValueError("a batch needs exactly one of process (a bound name) or to (a URI)")
    return BatchStep(ref(spec.process) if spec.process else None, spec.size, spec.timeout, spec.to)


def _steps(parse: Parse, spec: Any, path: Path) -> list[StepDefinition]:
    return parse(spec.steps, (*path, "steps"))


EIPS: dict[str, Eip] = {
    "to": Eip(EndpointSpec, lambda s, p, at: ToStep([s.full_uri()]), "uri"),
    "toD": Eip(
        ToDSpec,
        lambda s, p, at: ToDynamicStep(simple(s.full_uri()), s.ignore_invalid_endpoint),
        "uri",
    ),
    "wireTap": Eip(EndpointSpec, lambda s, p, at: WireTapStep(s.full_uri())),
    "log": Eip(
        LogSpec, lambda s, p, at: LogStep(simple(s.message), s.logging_level, s.log_name), "message"
    ),
    "process": Eip(ProcessSpec, lambda s, p, at: ProcessStep(ref(s.ref))),
    "setHeader": Eip(SetHeaderSpec, lambda s, p, at: SetHeaderStep(s.name, s.build_expression())),
    "setProperty": Eip(
        SetHeaderSpec, lambda s, p, at: SetPropertyStep(s.name, s.build_expression())
    ),
    "setBody": Eip(ExpressionAware, lambda s, p, at: SetBodyStep(s.build_expression())),
    "transform": Eip(ExpressionAware, lambda s, p, at: SetBodyStep(s.build_expression())),
    "removeHeader": Eip(NameSpec, lambda s, p, at: RemoveHeaderStep(s.name), "name"),
    "removeHeaders": Eip(
        RemoveHeadersSpec,
        lambda s, p, at: RemoveHeadersStep(
            s.pattern, (s.exclude_pattern,) if s.exclude_pattern else ()
        ),
        "pattern",
    ),
    "removeProperty": Eip(NameSpec, lambda s, p, at: RemovePropertyStep(s.name), "name"),
    "convertBodyTo": Eip(
        ConvertBodyToSpec,
        lambda s, p, at: ConvertBodyToStep(type_named(s.type), s.charset or "utf-8"),
        "type",
    ),
    "marshal": Eip(DataFormatSpec, lambda s, p, at: MarshalStep()),
    "unmarshal": Eip(DataFormatSpec, lambda s, p, at: UnmarshalStep()),
    "stop": Eip(StopSpec, lambda s, p, at: StopStep()),
    "throwException": Eip(ThrowExceptionSpec, _throw),
    "delay": Eip(DelaySpec, lambda s, p, at: DelayStep(s.build_expression())),
    "throttle": Eip(
        ThrottleSpec,
        lambda s, p, at: ThrottleStep(
            s.build_expression(),
            s.mode,
            s.time_period_millis,
            s.reject_execution,
            s.correlation_expression.build() if s.correlation_expression else None,
        ),
    ),
    "enrich": Eip(
        EnrichSpec,
        lambda s, p, at: EnrichStep(s.build_expression(), s.strategy(), s.aggregate_on_exception),
    ),
    "setHeaders": Eip(SetHeadersSpec, _set_headers),
    "recipientList": Eip(
        RecipientListSpec,
        lambda s, p, at: RecipientListStep(
            s.build_expression(),
            s.delimiter,
            s.parallel_processing,
            s.stop_on_exception,
            s.ignore_invalid_endpoints,
            s.strategy(),
        ),
    ),
    "filter": Eip(
        FilterSpec,
        lambda s, p, at: FilterStep(s.build_expression(), _steps(p, s, at), s.status_property_name),
        flow=True,
    ),
    "choice": Eip(ChoiceSpec, _choice),
    "split": Eip(
        SplitSpec,
        lambda s, p, at: SplitStep(
            s.build_expression(),
            _steps(p, s, at),
            s.parallel_processing,
            s.stop_on_exception,
            s.strategy(),
            s.streaming,
            s.delimiter,
        ),
        flow=True,
    ),
    "idempotentConsumer": Eip(
        IdempotentConsumerSpec,
        lambda s, p, at: IdempotentConsumerStep(
            s.build_expression(), ref(s.idempotent_repository), _steps(p, s, at), s.skip_duplicate
        ),
        flow=True,
    ),
    "multicast": Eip(
        MulticastSpec,
        lambda s, p, at: MulticastStep(
            _steps(p, s, at),
            s.parallel_processing,
            s.stop_on_exception,
            s.strategy(),
        ),
        flow=True,
    ),
    "doTry": Eip(DoTrySpec, _do_try),
    "loop": Eip(
        LoopSpec,
        lambda s, p, at: LoopStep(s.build_expression(), _steps(p, s, at), s.copy_, s.do_while),
        flow=True,
    ),
    "aggregate": Eip(
        AggregateSpec,
        lambda s, p, at: AggregateStep(
            s.correlation_expression.build(),
            _steps(p, s, at),
            s.strategy(),
            s.completion_size,
            s.completion_timeout,
            s.completion_predicate.build() if s.completion_predicate else None,
        ),
        flow=True,
    ),
    "batch": Eip(BatchSpec, _batch),
}


# Camel 4's other steps: refused by name rather than as a misspelling.
CAMEL_ONLY = frozenset(
    {
        "bean", "circuitBreaker", "claimCheck", "convertHeaderTo", "convertVariableTo",
        "dynamicRouter", "kamelet", "loadBalance", "onCompletion", "pausable", "pipeline",
        "policy", "poll", "pollEnrich", "removeProperties", "removeVariable", "resequence",
        "resumable", "rollback", "routingSlip", "saga", "sample", "script",
        "setExchangePattern", "setVariable", "setVariables", "sort", "step", "threads",
        "tokenizer", "transacted", "validate",
    }
)  # fmt: skip


class StepParser:
    """Reads the steps of one file, noting every problem instead of stopping at one."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def steps(self, raw: Any, path: Path) -> list[StepDefinition]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problems.add(path, "must be a list of steps")
            return []
        found: list[StepDefinition] = []
        into = found
        for index, item in enumerate(raw):
            step, open_block = self._step(item, (*path, index))
            if step is None:
                continue
            into.append(step)
            if open_block is not None:  # flow mode: the steps after it are its own
                into = open_block
        return found

    def _step(
        self, item: Any, path: Path
    ) -> tuple[StepDefinition | None, list[StepDefinition] | None]:
        if not isinstance(item, dict) or len(item) != 1:
            self.problems.add(path, "a step is a map of one key, the EIP's name (- to: ...)")
            return None, None
        ((name, value),) = item.items()
        eip = EIPS.get(name)
        if eip is None and name in CAMEL_ONLY:
            self.problems.add((*path, name), f"Camel's {name} EIP is not supported here")
            return None, None
        if name in ("onException", "errorHandler"):
            self.problems.add(
                (*path, name),
                f"{name} is no step: give it in a routeConfiguration the route names "
                "(routeConfigurationId), or at the top of the file for every route",
            )
            return None, None
        if eip is None:
            self.problems.unknown_key(path, str(name), EIPS, "step")
            return None, None
        at = (*path, name)
        if isinstance(value, str | int | float) and eip.shorthand is not None:
            value = {eip.shorthand: value}
        elif isinstance(value, str | int | float):
            required = [f.alias or n for n, f in eip.spec.model_fields.items() if f.is_required()]
            example = f"{{{required[0]}: ...}}" if required else "{}"
            self.problems.add(at, f"takes a map of its options, not {value!r}: {name}: {example}")
            return None, None
        elif value is None:
            value = {}
        try:
            spec = eip.spec.model_validate(value)
        except ValidationError as error:
            self.problems.from_validation(at, error, eip.spec)
            return None, None
        if spec.disabled:
            return None, None
        try:
            step = eip.build(spec, self.steps, at)
        except (ValueError, ExpressionError) as error:
            self.problems.add(at, str(error))
            return None, None
        held = getattr(step, "steps", None)
        no_steps = eip.flow and getattr(spec, "steps", None) is None
        return step, held if no_steps and isinstance(held, list) else None
