"""The options of each step of a route file, one spec per EIP under Camel 4's name for
it (``routes.yaml.steps`` reads a step with its spec and builds it). Camel's option
names in camelCase, Camel's defaults; an option Camel has and the engine has not is
an unknown key."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, model_validator

from routes.expressions import Method, ref
from routes.steps import Strategy
from routes.yaml.beans import bean
from routes.yaml.expressions import ExpressionAware, Inline
from routes.yaml.handling import CamelLevel
from routes.yaml.spec import Node, RawSteps, Seconds, Spec


def endpoint_uri(uri: str, parameters: dict[str, Any] | None) -> str:
    """The URI with ``parameters`` added to its query, as Camel merges them."""
    if not parameters:
        return uri
    values = {
        key: str(value).lower() if isinstance(value, bool) else value
        for key, value in parameters.items()
    }
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(values)}"


class Gathering(Spec):
    """How an EIP that gathers exchanges names its aggregation strategy: a bound bean
    (``myStrategy``, ``#myStrategy``), a class (``#class:...``), or a bean's method
    that merges two bodies (``aggregationStrategyMethodName``)."""

    aggregation_strategy: str | None = None
    aggregation_strategy_method_name: str | None = None

    def strategy(self) -> Strategy | None:
        name = self.aggregation_strategy
        if name is None:
            return None
        if name.startswith("#class:"):
            found: Strategy = bean(name, {})
            return found
        name = name.removeprefix("#bean:").removeprefix("#")
        method_name = self.aggregation_strategy_method_name
        return Method(name, method_name) if method_name else ref(name)


class EndpointSpec(Node):
    uri: str
    parameters: dict[str, Any] | None = None

    def full_uri(self) -> str:
        return endpoint_uri(self.uri, self.parameters)


class ToDSpec(EndpointSpec):
    ignore_invalid_endpoint: bool = False


class LogSpec(Node):
    message: str
    logging_level: CamelLevel = "INFO"
    log_name: str | None = None


class SetHeaderSpec(ExpressionAware):
    name: str


class SetHeadersSpec(Node):
    headers: list[SetHeaderSpec] = Field(min_length=1)


class NameSpec(Node):
    name: str


class RemoveHeadersSpec(Node):
    pattern: str
    exclude_pattern: str | None = None


class ConvertBodyToSpec(Node):
    type: str
    charset: str | None = None


class JsonSpec(Spec):
    library: str | None = None  # Jackson, Gson …: one JSON reader here, whichever is named


class DataFormatSpec(Node):
    json_: JsonSpec = Field(alias="json")

    @model_validator(mode="before")
    @classmethod
    def _json_only(cls, data: Any) -> Any:
        others = data.keys() - {"json", *Node.model_fields} if isinstance(data, dict) else ()
        if others:
            other = sorted(others)[0]
            raise ValueError(f"the {other} data format is not supported: only json")
        return data


class ThrowExceptionSpec(Node):
    exception_type: str
    message: str | None = None


class StopSpec(Node):
    pass


class DelaySpec(ExpressionAware):
    async_delayed: bool = True  # a wait never holds a thread here: accepted as it is


class ThrottleSpec(ExpressionAware):
    async_delayed: bool = False  # a wait never holds a thread here: accepted as it is
    mode: Literal["ConcurrentRequests", "TotalRequests"] = "TotalRequests"
    time_period_millis: Seconds = 1.0
    reject_execution: bool = False
    correlation_expression: Inline | None = None


class EnrichSpec(ExpressionAware, Gathering):
    aggregate_on_exception: bool = False


class RecipientListSpec(ExpressionAware, Gathering):
    delimiter: str = ","
    parallel_processing: bool = False
    stop_on_exception: bool = False
    ignore_invalid_endpoints: bool = False


class BlockSpec(ExpressionAware):
    steps: RawSteps = None


class FilterSpec(BlockSpec):
    status_property_name: str | None = None


class WhenSpec(BlockSpec):
    pass


class OtherwiseSpec(Node):
    steps: RawSteps = None


class ChoiceSpec(Node):
    when: list[WhenSpec] = Field(min_length=1)
    otherwise: OtherwiseSpec | None = None


class SplitSpec(BlockSpec, Gathering):
    parallel_processing: bool = False
    stop_on_exception: bool = False
    streaming: bool = False
    delimiter: str = ","


class IdempotentConsumerSpec(BlockSpec):
    idempotent_repository: str
    skip_duplicate: bool = True


class MulticastSpec(Node, Gathering):
    steps: RawSteps = None
    parallel_processing: bool = False
    stop_on_exception: bool = False


class DoCatchSpec(Node):
    exception: list[str] = Field(min_length=1)
    on_when: Inline | None = None
    steps: RawSteps = None


class DoTrySpec(Node):
    steps: RawSteps = None
    do_catch: list[DoCatchSpec] = Field(default_factory=list)
    do_finally: OtherwiseSpec | None = None


class LoopSpec(BlockSpec):
    copy_: bool = Field(False, alias="copy")
    do_while: bool = False


class AggregateSpec(Node, Gathering):
    correlation_expression: Inline
    completion_size: int | None = Field(default=None, ge=1)
    completion_timeout: Seconds | None = None
    completion_predicate: Inline | None = None
    steps: RawSteps = None


class ProcessSpec(Node):
    ref: str


class BatchSpec(Node):
    process: str | None = None
    to: str | None = None
    size: int = Field(default=100, ge=1)
    timeout: Seconds = 0.005
