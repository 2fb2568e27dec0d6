"""Turns route definitions into running steps (Camel's reifier).

Every leaf step is wrapped by the route's error handler; blocks (filter, choice,
idempotent consumer) are not, so an error is handled once, where it happened. The
steps of an ``on_exception`` are built by ``for_error_handling``: an error there fails
the exchange, and no handler takes it again.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase
from typing import Any, Protocol

from endpoints import headers
from endpoints.base import Producer
from endpoints.exchange import Exchange, Message
from endpoints.processor import BatchProcessor
from endpoints.tracing import tracing_on
from routes.batch import Batcher, BatchSizes, RouteParking
from routes.definition import (
    BatchStep,
    ChoiceStep,
    FilterStep,
    IdempotentConsumerStep,
    IdempotentRepository,
    LogStep,
    ProcessStep,
    RemoveHeadersStep,
    SetBodyStep,
    SetHeaderStep,
    SplitStep,
    StepDefinition,
    ToStep,
    WireTapStep,
)
from routes.error_handling import RedeliveryErrorHandler, in_error_handling
from routes.expressions import Expression, Ref
from routes.pipeline import Step, call, run_steps
from routes.tracing import step_name, tracer


class BuildContext(Protocol):
    """What building a route needs from the engine."""

    def resolve(self, reference: Ref) -> Any: ...

    def producer(self, uri: str) -> Producer: ...

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a background task (wire tap) so a graceful stop can wait for it."""


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

    def for_error_handling(self) -> RouteStepsBuilder:
        """A builder of the same route whose steps no error handler guards: those of an
        ``on_exception``, which would otherwise handle their own errors again."""
        unguarded = copy.copy(self)
        unguarded._guard = in_error_handling
        return unguarded

    def build(self, definitions: Sequence[StepDefinition]) -> list[Step]:
        return [self._build(definition) for definition in definitions]

    def _expression(self, expression: Expression) -> Expression:
        resolved: Expression = (
            self.context.resolve(expression) if isinstance(expression, Ref) else expression
        )
        return resolved

    def _build(self, definition: StepDefinition) -> Step:
        match definition:
            case FilterStep(predicate, steps):
                return self._filter(self._expression(predicate), self.build(steps))
            case SplitStep(expression, steps, parallel):
                return self._split(self._expression(expression), self.build(steps), parallel)
            case ChoiceStep(whens, otherwise):
                clauses = [(self._expression(w.predicate), self.build(w.steps)) for w in whens]
                return self._choice(clauses, self.build(otherwise or []))
            case IdempotentConsumerStep(key, repository, steps):
                repo = (
                    self.context.resolve(repository) if isinstance(repository, Ref) else repository
                )
                return self._idempotent(self._expression(key), repo, self.build(steps))
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
                function = self._expression(processor)

                async def process(exchange: Exchange) -> None:
                    await call(function, exchange)

                return process
            case ToStep(uris):
                producers = [self.context.producer(uri) for uri in uris]

                async def to(exchange: Exchange) -> None:
                    for producer in producers:
                        await producer.process(exchange)

                return to
            case SetHeaderStep(name, expression):
                value_of = self._expression(expression)

                async def set_header(exchange: Exchange) -> None:
                    exchange.headers[name] = await call(value_of, exchange)

                return set_header
            case RemoveHeadersStep(pattern, exclude):

                def removed(name: str) -> bool:
                    return fnmatchcase(name, pattern) and not any(
                        fnmatchcase(name, keep) for keep in exclude
                    )

                async def remove_headers(exchange: Exchange) -> None:
                    for name in [name for name in exchange.headers if removed(name)]:
                        del exchange.headers[name]

                return remove_headers
            case SetBodyStep(expression):
                value_of = self._expression(expression)

                async def set_body(exchange: Exchange) -> None:
                    exchange.body = await call(value_of, exchange)

                return set_body
            case LogStep(message, level):
                render = self._expression(message)
                number = logging.getLevelName(level)

                async def log(exchange: Exchange) -> None:
                    if self.logger.isEnabledFor(number):
                        self.logger.log(number, "%s", await call(render, exchange))

                return log
            case WireTapStep(uri):
                return self._wire_tap(self.context.producer(uri))
        raise TypeError(f"route {self.route_id}: unknown step {definition!r}")

    @staticmethod
    def _filter(predicate: Expression, steps: list[Step]) -> Step:
        async def filter_(exchange: Exchange) -> None:
            if await call(predicate, exchange):
                await run_steps(steps, exchange)

        return filter_

    @staticmethod
    def _split(items_of: Expression, steps: list[Step], parallel: bool) -> Step:
        async def split(exchange: Exchange) -> None:
            items = await call(items_of, exchange)
            if not isinstance(items, list | tuple):
                exchange.exception = TypeError(
                    f"split: the expression gave a {type(items).__name__}, not a list"
                )
                return
            parts = [
                Exchange(
                    Message(item, dict(exchange.headers)),
                    properties=dict(exchange.properties),
                    route_id=exchange.route_id,
                )
                for item in items
            ]
            if parallel:
                await asyncio.gather(*(run_steps(steps, part) for part in parts))
            else:
                for part in parts:
                    await run_steps(steps, part)
            exchange.exception = next((p.exception for p in parts if p.exception), None)

        return split

    @staticmethod
    def _choice(clauses: list[tuple[Expression, list[Step]]], otherwise: list[Step]) -> Step:
        async def choice(exchange: Exchange) -> None:
            for predicate, steps in clauses:
                if await call(predicate, exchange):
                    await run_steps(steps, exchange)
                    return
            await run_steps(otherwise, exchange)

        return choice

    def _idempotent(
        self, key_of: Expression, repository: IdempotentRepository, steps: list[Step]
    ) -> Step:
        async def idempotent_consumer(exchange: Exchange) -> None:
            key = await call(key_of, exchange)
            if key is None:
                exchange.exception = ValueError("idempotent consumer: the message has no key")
                return
            key = str(key)
            if not await repository.add(key):
                self.logger.info("duplicate message %s skipped", key)
                exchange.headers[headers.DUPLICATE_MESSAGE] = True
                exchange.stopped = True
                return
            try:
                await run_steps(steps, exchange)
            except BaseException:
                await repository.remove(key)
                raise
            if exchange.failed:  # let a redelivery of this message be processed again
                await repository.remove(key)
            else:
                await repository.confirm(key)

        return idempotent_consumer

    def _wire_tap(self, producer: Producer) -> Step:
        async def send_copy(copy: Exchange) -> None:
            try:
                await producer.process(copy)
            except Exception:
                self.logger.exception("wire tap failed")

        async def wire_tap(exchange: Exchange) -> None:
            self.context.track(asyncio.create_task(send_copy(exchange.copy())))

        return wire_tap
