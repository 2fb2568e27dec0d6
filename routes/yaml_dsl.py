"""Routes written in YAML, with keys close to Camel's YAML DSL::

    - route:
        id: greet
        from:
          uri: direct:greet
          steps:
            - set-header: {name: kind, simple: "${body.kind}"}
            - choice:
                when:
                  - simple: "${header.kind} == 'urgent'"
                    steps: [{to: "kafka:urgent"}]
                otherwise:
                  steps: [{to: "kafka:normal"}]
        error-handler:
          dead-letter-channel:
            dead-letter-uri: kafka:greet.DLT
            redelivery-policy: {maximum-redeliveries: 3, redelivery-delay: 0.5}
        on-exception:
          - exception: [builtins.TimeoutError]
            handled: true
            steps: [{set-body: {constant: timed out}}]
    - on-exception: {...}     # applies to every route
    - error-handler: {...}    # the default for every route

Processors, predicates and repositories are names bound on the engine. Each file is
validated with pydantic; a mistake names the file, the route and the key.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endpoints.redelivery_policy import RedeliveryPolicy
from routes.definition import (
    BatchStep,
    ChoiceStep,
    ErrorHandler,
    FilterStep,
    IdempotentConsumerStep,
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
from routes.dsl import RouteBuilder
from routes.expressions import Expression, ExpressionError, body, constant, header, ref, simple
from routes.expressions import exchange_property as property_


class RouteConfigError(ValueError):
    """A YAML route file that cannot be used; says where and why."""


class Spec(BaseModel):
    model_config = ConfigDict(
        alias_generator=lambda name: name.replace("_", "-"), extra="forbid", frozen=True
    )


def _exactly_one(spec: BaseModel, names: tuple[str, ...], what: str) -> None:
    given = [name for name in names if name in spec.model_fields_set]
    if len(given) != 1:
        keys = ", ".join(name.replace("_", "-") for name in names)
        raise ValueError(f"{what} needs exactly one of: {keys}")


_EXPRESSIONS = ("simple", "header", "constant", "ref", "body", "exchange_property")


class ExpressionSpec(Spec):
    simple: str | None = None
    header: str | None = None
    constant: Any = None
    ref: str | None = None
    body: str | None = Field(default=None, description="a dotted path; '' for the whole body")
    exchange_property: str | None = None

    @model_validator(mode="after")
    def _one_language(self) -> Self:
        _exactly_one(self, _EXPRESSIONS, "an expression")
        return self

    def build(self) -> Expression:
        if self.simple is not None:
            return simple(self.simple)
        if self.header is not None:
            return header(self.header)
        if self.ref is not None:
            return ref(self.ref)
        if self.body is not None:
            return body(self.body) if self.body else body()
        if self.exchange_property is not None:
            return property_(self.exchange_property)
        return constant(self.constant)


class RedeliveryPolicySpec(Spec):
    maximum_redeliveries: int = 0
    redelivery_delay: float = 1.0
    backoff_multiplier: float = 2.0
    maximum_redelivery_delay: float = 60.0
    jitter: bool = False

    def build(self) -> RedeliveryPolicy:
        return RedeliveryPolicy(**self.model_dump())


class StepsSpec(Spec):
    steps: list[StepSpec] = []


class BlockSpec(ExpressionSpec):
    steps: list[StepSpec] = []


class SplitSpec(BlockSpec):
    parallel: bool = False


class SetHeaderSpec(ExpressionSpec):
    name: str


class RemoveHeadersSpec(Spec):
    pattern: str
    exclude: list[str] = []


class IdempotentConsumerSpec(ExpressionSpec):
    repository: str
    steps: list[StepSpec] = []


class LogSpec(Spec):
    message: str
    level: LogLevel = "INFO"


class BatchSpec(Spec):
    process: str | None = None
    to: str | None = None
    size: int = 100
    timeout: float = 0.005

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        _exactly_one(self, ("process", "to"), "a batch")
        return self

    def build(self) -> BatchStep:
        named = None if self.process is None else ref(self.process)
        return BatchStep(named, self.size, self.timeout, self.to)


class ChoiceSpec(Spec):
    when: list[BlockSpec] = Field(min_length=1)
    otherwise: StepsSpec | None = None


_STEPS = (
    "process",
    "batch",
    "to",
    "log",
    "set_header",
    "remove_headers",
    "set_body",
    "transform",
    "wire_tap",
    "filter",
    "split",
    "choice",
    "idempotent_consumer",
)


class StepSpec(Spec):
    process: str | None = None
    batch: BatchSpec | None = None
    to: str | list[str] | None = None
    log: str | LogSpec | None = None
    set_header: SetHeaderSpec | None = None
    remove_headers: RemoveHeadersSpec | None = None
    set_body: ExpressionSpec | None = None
    transform: ExpressionSpec | None = None
    wire_tap: str | None = None
    filter: BlockSpec | None = None
    split: SplitSpec | None = None
    choice: ChoiceSpec | None = None
    idempotent_consumer: IdempotentConsumerSpec | None = None

    @model_validator(mode="after")
    def _one_step(self) -> Self:
        _exactly_one(self, _STEPS, "a step")
        return self

    def build(self) -> StepDefinition:
        if self.process is not None:
            return ProcessStep(ref(self.process))
        if self.batch is not None:
            return self.batch.build()
        if self.to is not None:
            return ToStep([self.to] if isinstance(self.to, str) else list(self.to))
        if self.log is not None:
            log = LogSpec(message=self.log) if isinstance(self.log, str) else self.log
            return LogStep(simple(log.message), log.level)
        if self.set_header is not None:
            return SetHeaderStep(self.set_header.name, self.set_header.build())
        if self.remove_headers is not None:
            removed = self.remove_headers
            return RemoveHeadersStep(removed.pattern, tuple(removed.exclude))
        if self.set_body is not None or self.transform is not None:
            spec = self.set_body or self.transform
            assert spec is not None
            return SetBodyStep(spec.build())
        if self.wire_tap is not None:
            return WireTapStep(self.wire_tap)
        if self.filter is not None:
            return FilterStep(self.filter.build(), _build(self.filter.steps))
        if self.split is not None:
            return SplitStep(self.split.build(), _build(self.split.steps), self.split.parallel)
        if self.choice is not None:
            whens = [WhenClause(when.build(), _build(when.steps)) for when in self.choice.when]
            otherwise = self.choice.otherwise
            return ChoiceStep(whens, _build(otherwise.steps) if otherwise else None)
        spec_ = self.idempotent_consumer
        assert spec_ is not None
        return IdempotentConsumerStep(spec_.build(), ref(spec_.repository), _build(spec_.steps))


def _build(steps: list[StepSpec]) -> list[StepDefinition]:
    return [step.build() for step in steps]


def _exception_type(dotted: str) -> type[BaseException]:
    module_name, _, name = dotted.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name or "builtins"), name)
    except (ImportError, AttributeError):
        raise ValueError(f"no exception class {dotted!r} can be imported") from None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ValueError(f"{dotted!r} is not an exception class")
    return found


class OnExceptionSpec(Spec):
    exception: list[str] = Field(min_length=1)
    redelivery_policy: RedeliveryPolicySpec = RedeliveryPolicySpec()
    handled: bool = False
    continued: bool = False
    steps: list[StepSpec] = []
    log_level: LogLevel = "WARNING"

    def build(self) -> OnException:
        types = [_exception_type(name) for name in self.exception]
        policy = self.redelivery_policy.build()
        steps = _build(self.steps)
        return OnException(types, policy, self.handled, self.continued, steps, self.log_level)


class DeadLetterChannelSpec(Spec):
    dead_letter_uri: str
    use_original_message: bool = True
    on_prepare_failure: str | None = None
    dead_letter_handle_new_exception: bool = True
    redelivery_policy: RedeliveryPolicySpec = RedeliveryPolicySpec()


class DefaultErrorHandlerSpec(Spec):
    redelivery_policy: RedeliveryPolicySpec = RedeliveryPolicySpec()


class ErrorHandlerSpec(Spec):
    dead_letter_channel: DeadLetterChannelSpec | None = None
    default_error_handler: DefaultErrorHandlerSpec | None = None

    @model_validator(mode="after")
    def _one_handler(self) -> Self:
        _exactly_one(self, ("dead_letter_channel", "default_error_handler"), "error-handler")
        return self

    def build(self) -> ErrorHandler:
        if self.dead_letter_channel is not None:
            dlc = self.dead_letter_channel
            prepare = ref(dlc.on_prepare_failure) if dlc.on_prepare_failure else None
            return ErrorHandler(
                dlc.redelivery_policy.build(),
                dlc.dead_letter_uri,
                dlc.use_original_message,
                prepare,
                dlc.dead_letter_handle_new_exception,
            )
        assert self.default_error_handler is not None
        return ErrorHandler(self.default_error_handler.redelivery_policy.build())


class FromSpec(Spec):
    uri: str
    steps: list[StepSpec] = []


class RouteSpec(Spec):
    id: str | None = None
    from_: FromSpec = Field(alias="from")
    error_handler: ErrorHandlerSpec | None = None
    on_exception: list[OnExceptionSpec] = []


class EntrySpec(Spec):
    route: RouteSpec | None = None
    on_exception: OnExceptionSpec | None = None
    error_handler: ErrorHandlerSpec | None = None

    @model_validator(mode="after")
    def _one_entry(self) -> Self:
        _exactly_one(self, ("route", "on_exception", "error_handler"), "an entry")
        return self


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def load_routes(path: Path | str, into: RouteBuilder | None = None) -> RouteBuilder:
    """Read one YAML file of routes (and engine-wide error handling) into a RouteBuilder."""
    path = Path(path)
    builder = into or RouteBuilder()
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise RouteConfigError(f"{path}: cannot read YAML: {error}") from None
    if not isinstance(document, list):
        raise RouteConfigError(f"{path}: expected a list of entries (- route: ...)")
    for index, raw in enumerate(document):
        route_id = _raw_route_id(raw)
        where = f"{path}: route {route_id!r}" if route_id else f"{path}: entry [{index}]"
        try:
            entry = EntrySpec.model_validate(raw)
            _add_entry(entry, builder, str(path))
        except ValidationError as error:
            problems = [f"{_where(tuple(e['loc']))}: {e['msg']}" for e in error.errors()]
            raise RouteConfigError(f"{where}: " + "; ".join(problems)) from None
        except (ValueError, ExpressionError) as error:
            raise RouteConfigError(f"{where}: {error}") from None
    return builder


def load_route_directory(directory: Path | str, into: RouteBuilder | None = None) -> RouteBuilder:
    """Load every ``*.yaml`` / ``*.yml`` file of a folder, in name order."""
    builder = into or RouteBuilder()
    folder = Path(directory)
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        load_routes(path, builder)
    return builder


def _raw_route_id(raw: object) -> str | None:
    if isinstance(raw, dict) and isinstance(raw.get("route"), dict):
        route_id = raw["route"].get("id")
        return route_id if isinstance(route_id, str) else None
    return None


def _add_entry(entry: EntrySpec, builder: RouteBuilder, source: str) -> None:
    if entry.on_exception is not None:
        builder.on_exceptions.append(entry.on_exception.build())
    elif entry.error_handler is not None:
        builder.default_error_handler = entry.error_handler.build()
    elif entry.route is not None:
        spec = entry.route
        builder.routes.append(
            RouteDefinition(
                from_uri=spec.from_.uri,
                route_id=spec.id,
                steps=_build(spec.from_.steps),
                on_exceptions=[policy.build() for policy in spec.on_exception],
                error_handler=spec.error_handler.build() if spec.error_handler else None,
                source=source,
            )
        )
