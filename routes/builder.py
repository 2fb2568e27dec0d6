"""Turns route definitions into running steps (Camel's reifier).

Every leaf step is wrapped by the route's error handler; blocks (filter, choice, split
…) are not, so an error is handled once, where it happened. The steps of an
``on_exception`` and of a ``doTry`` are built by ``for_error_handling``: an error there
fails the exchange (or goes to a ``doCatch``), and no handler takes it again, as in
Camel, where the error handler does not reach into a doTry.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from endpoints.base import Producer
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.processor import BatchProcessor
from endpoints.tracing import tracing_on
from routes.batch import Batcher, BatchSizes, RouteParking
from routes.blocks import BlockSteps
from routes.eips.aggregator import Aggregator, merged_bodies
from routes.eips.conversions import convert, marshal_json, unmarshal_json
from routes.eips.patterns import removable
from routes.eips.throttler import Throttler
from routes.error_handling import RedeliveryErrorHandler, in_error_handling
from routes.expressions import Expression, Method, Ref
from routes.pipeline import Step, call
from routes.simple import simple
from routes.steps import (
    AggregateStep,
    AggregationStrategy,
    BatchStep,
    ConvertBodyToStep,
    DelayStep,
    EnrichStep,
    LogStep,
    MarshalStep,
    ProcessStep,
    RecipientListStep,
    RemoveHeadersStep,
    RemoveHeaderStep,
    RemovePropertyStep,
    SetBodyStep,
    SetHeadersStep,
    SetHeaderStep,
    SetPropertyStep,
    StepDefinition,
    StopStep,
    Strategy,
    ThrottleStep,
    ThrowExceptionStep,
    ToDynamicStep,
    ToStep,
    UnmarshalStep,
    WireTapStep,
)
from routes.tracing import step_name, tracer

Sleeper = Callable[[float], Awaitable[None]]
# Camel's logging levels as the logging module numbers them (TRACE below DEBUG).
_LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40}


class BuildContext(Protocol):
    """What building a route needs from the engine."""

    sleeper: Sleeper

    def resolve(self, reference: Ref) -> Any: ...

    def producer(self, uri: str) -> Producer: ...

    async def started_producer(self, uri: str) -> Producer:
        """A producer of ``uri`` known only while routing (toD, recipientList, enrich),
        started; the same one for the same URI."""

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a background task (wire tap) so a graceful stop can wait for it."""

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the engine stops (an aggregator drops its groups)."""


class RouteStepsBuilder:
    def __init__(
        self, context: BuildContext, route_id: str, error_handler: RedeliveryErrorHandler
    ) -> None:
        self.context = context
        self.route_id = route_id
        self.error_handler = error_handler
        self.logger = logging.getLogger(f"route.{route_id}")
        metrics = error_handler.metrics
        self.parking = RouteParking(lambda: metrics.in_flight)
        self._guard: Callable[[Step], Step] = error_handler.wrap
        self.blocks = BlockSteps(self)

    def for_error_handling(self) -> RouteStepsBuilder:
        """A builder of the same route whose steps no error handler guards: those of an
        ``on_exception`` or a ``doTry``, which would otherwise handle errors again."""
        unguarded = copy.copy(self)
        unguarded._guard = in_error_handling
        unguarded.blocks = BlockSteps(unguarded)
        return unguarded

    def build(self, definitions: list[StepDefinition]) -> list[Step]:
        return [self._build(definition) for definition in definitions]

    def expression(self, expression: Expression) -> Expression:
        """``expression``, a reference to a bound bean resolved (``ref``, ``method``)."""
        if isinstance(expression, Ref):
            resolved: Expression = self.context.resolve(expression)
            return resolved
        if isinstance(expression, Method):
            bean = self.context.resolve(Ref(expression.name))
            bound: Expression = getattr(bean, expression.method) if expression.method else bean
            return bound
        return expression

    def strategy(self, strategy: Strategy | None) -> AggregationStrategy | None:
        if isinstance(strategy, Method):
            bean = self.context.resolve(Ref(strategy.name))
            return merged_bodies(getattr(bean, strategy.method or "aggregate"))
        found: AggregationStrategy | None = (
            self.context.resolve(strategy) if isinstance(strategy, Ref) else strategy
        )
        return found

    def _build(self, definition: StepDefinition) -> Step:
        block = self.blocks.build(definition)
        if block is not None:
            return block
        name = step_name(definition)
        return self._guard(self._traced(name, self._leaf(definition, name)))

    def _traced(self, name: str, step: Step) -> Step:
        """A span per attempt of the step: the error handler wraps this, so each
        redelivery shows as a span of its own (no wrapper while tracing is off)."""
        if not tracing_on():
            return step
        attributes = {"route.id": self.route_id}

        async def traced(exchange: Exchange) -> None:
            with tracer.start_as_current_span(name, attributes=attributes):
                await step(exchange)

        return traced

    def _leaf(self, definition: StepDefinition, name: str) -> Step:
        match definition:
            case BatchStep(processor, size, timeout, uri):
                batch: BatchProcessor
                if uri is not None:
                    batch = self.context.producer(uri).process_all
                elif isinstance(processor, Ref):
                    batch = self.context.resolve(processor)
                else:
                    assert processor is not None  # BatchStep checks it has one or the other
                    batch = processor
                sizes = self.error_handler.metrics.batch_sizes.setdefault(name, BatchSizes())
                return Batcher(batch, size, timeout, sizes, self.parking, self.context.track)
            case ProcessStep(processor):
                function = self.expression(processor)
                return _set(lambda exchange: call(function, exchange))
            case ToStep(uris):
                return _to(*(self.context.producer(uri) for uri in uris))
            case ToDynamicStep(uri, ignore_invalid_endpoint):
                return self._to_dynamic(self.expression(uri), ignore_invalid_endpoint)
            case SetHeaderStep(header, expression):
                value_of = self.expression(expression)

                async def set_header(exchange: Exchange) -> None:
                    exchange.message.set_header(header, await call(value_of, exchange))

                return set_header
            case SetHeadersStep(pairs):
                values_of = [(name, self.expression(value)) for name, value in pairs]

                async def set_headers(exchange: Exchange) -> None:
                    for name, value_of in values_of:
                        exchange.message.set_header(name, await call(value_of, exchange))

                return set_headers
            case SetPropertyStep(prop, expression):
                value_of = self.expression(expression)

                async def set_property(exchange: Exchange) -> None:
                    exchange.properties[prop] = await call(value_of, exchange)

                return set_property
            case RemoveHeaderStep(header):
                return _set(lambda exchange: exchange.message.remove_header(header))
            case RemoveHeadersStep(pattern, exclude):

                def remove_headers(exchange: Exchange) -> None:
                    for found in removable(exchange.headers, pattern, exclude):
                        del exchange.headers[found]

                return _set(remove_headers)
            case RemovePropertyStep(prop):
                return _set(lambda exchange: exchange.properties.pop(prop, None))
            case SetBodyStep(expression):
                value_of = self.expression(expression)

                async def set_body(exchange: Exchange) -> None:
                    exchange.body = await call(value_of, exchange)

                return set_body
            case ConvertBodyToStep(target, charset):
                return _set(
                    lambda exchange: _body(exchange, convert(exchange.body, target, charset))
                )
            case MarshalStep():
                return _set(lambda exchange: _body(exchange, marshal_json(exchange.body)))
            case UnmarshalStep():
                return _set(lambda exchange: _body(exchange, unmarshal_json(exchange.body)))
            case StopStep():
                return _set(_stop)
            case ThrowExceptionStep(exception_type, message):
                return self._throw(exception_type, message)
            case LogStep(message, level, log_name):
                return self._log(self.expression(message), level, log_name)
            case WireTapStep(uri):
                return self._wire_tap(uri)
            case DelayStep(expression):
                return self._delay(self.expression(expression))
            case ThrottleStep(expression, correlation=correlation):
                resolved = replace(
                    definition,
                    expression=self.expression(expression),
                    correlation=self.expression(correlation) if correlation else None,
                )
                return Throttler(resolved).__call__
            case EnrichStep(expression, strategy, aggregate_on_exception):
                return self._enrich(
                    self.expression(expression), self.strategy(strategy), aggregate_on_exception
                )
            case RecipientListStep():
                return self.blocks.recipient_list(definition)
            case AggregateStep():
                return self._aggregate(definition)
        raise TypeError(f"route {self.route_id}: unknown step {definition!r}")

    def _to_dynamic(self, uri_of: Expression, ignore_invalid: bool) -> Step:
        async def to_dynamic(exchange: Exchange) -> None:
            uri = str(await call(uri_of, exchange))
            producer = await self.endpoint_for(uri, ignore_invalid)
            if producer is not None:
                await producer.process(exchange)

        return to_dynamic

    async def endpoint_for(self, uri: str, ignore_invalid: bool) -> Producer | None:
        """The started producer of ``uri``; None for an invalid one that may be ignored."""
        try:
            return await self.context.started_producer(uri)
        except EndpointError:  # no such scheme, a bad option
            if ignore_invalid:
                self.logger.debug("ignoring the invalid endpoint %s", uri)
                return None
            raise

    def _log(self, render: Expression, level: str, log_name: str | None) -> Step:
        if level == "OFF":
            return _set(lambda exchange: None)
        number = _LEVELS[level]
        logger = logging.getLogger(log_name or self.route_id)  # Camel's: the route id

        async def log(exchange: Exchange) -> None:
            if logger.isEnabledFor(number):
                logger.log(number, "%s", await call(render, exchange))

        return log

    def _wire_tap(self, uri: str) -> Step:
        static = None if "${" in uri else self.context.producer(uri)
        uri_of = simple(uri)

        async def send_copy(copy: Exchange) -> None:
            try:
                producer = static or await self.context.started_producer(
                    str(await call(uri_of, copy))
                )
                await producer.process(copy)
            except Exception:
                self.logger.exception("wire tap failed")

        async def wire_tap(exchange: Exchange) -> None:
            self.context.track(asyncio.create_task(send_copy(exchange.copy())))

        return wire_tap

    def _throw(self, exception_type: type[Exception], message: Expression | None) -> Step:
        async def throw_exception(exchange: Exchange) -> None:
            text = await call(message, exchange) if message is not None else None
            raise exception_type(*(() if text is None else (text,)))

        return throw_exception

    def _delay(self, milliseconds: Expression) -> Step:
        async def delay(exchange: Exchange) -> None:
            await self.context.sleeper(float(await call(milliseconds, exchange)) / 1000)

        return delay

    def _enrich(
        self, uri_of: Expression, strategy: AggregationStrategy | None, on_exception: bool
    ) -> Step:
        """Camel's Enricher. A failure of the resource (its URI, its endpoint, the call)
        fails the step; with ``on_exception`` (Camel's aggregateOnException) it is the
        resource exchange's ``exception`` for the strategy instead, and the step fails
        with what the exchange the strategy answers still carries. Without a strategy the
        resource's failure stays, as Camel's default strategy copies it over."""

        async def enrich(exchange: Exchange) -> None:
            resource: Exchange | None = None
            try:
                producer = await self.context.started_producer(str(await call(uri_of, exchange)))
                resource = exchange.copy()
                await producer.process(resource)
            except Exception as error:
                if not on_exception:
                    raise
                if resource is None:  # no endpoint to call: the failure is the strategy's too
                    resource = exchange.copy()
                resource.exception = error
            merged = strategy(exchange, resource) if strategy is not None else resource
            failure = merged.exception
            if failure is not None:
                if merged is exchange:  # raised from here, as any failing step's error
                    exchange.exception = None
                raise failure
            exchange.message = merged.message

        return enrich

    def _aggregate(self, definition: AggregateStep) -> Step:
        steps = self.build(definition.steps)

        async def run(aggregated: Exchange) -> None:
            await self.blocks.run(steps, aggregated)

        aggregator = Aggregator(
            self.expression(definition.correlation),
            self.strategy(definition.aggregation_strategy),
            run,
            self.context.track,
            completion_size=definition.completion_size,
            completion_timeout=definition.completion_timeout,
            completion_predicate=(
                self.expression(definition.completion_predicate)
                if definition.completion_predicate is not None
                else None
            ),
        )
        self.context.on_stop(aggregator.stop)
        return aggregator.__call__


def _set(change: Callable[[Exchange], Any]) -> Step:
    """A step that changes the exchange (sync or async)."""

    async def step(exchange: Exchange) -> None:
        await call(change, exchange)

    return step


def _to(*producers: Producer) -> Step:
    async def to(exchange: Exchange) -> None:
        for producer in producers:
            await producer.process(exchange)

    return to


def _body(exchange: Exchange, body: Any) -> None:
    exchange.body = body


def _stop(exchange: Exchange) -> None:
    exchange.route_stop = True
