"""The steps that hold steps, as running code: filter, choice, split, idempotent
consumer, multicast, recipient list, doTry, loop. A block is not wrapped by the error
handler itself: its steps are, each where it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from endpoints import headers
from endpoints.base import Producer
from endpoints.exchange import Exchange
from routes.eips.gathering import Run, gather, part_of, run_parts
from routes.eips.splitter import parts_at_once, run_streaming, split_items, streamed_parts
from routes.expressions import Expression, Ref
from routes.pipeline import Step, call, run_steps
from routes.predicates import holds, holds_with
from routes.steps import (
    ChoiceStep,
    DoTryStep,
    FilterStep,
    IdempotentConsumerStep,
    IdempotentRepository,
    LoopStep,
    MulticastStep,
    RecipientListStep,
    SplitStep,
    StepDefinition,
)

if TYPE_CHECKING:
    from routes.builder import RouteStepsBuilder


class BlockSteps:
    def __init__(self, builder: RouteStepsBuilder) -> None:
        self.builder = builder

    def build(self, definition: StepDefinition) -> Step | None:
        """The running block of ``definition``; None for a step that holds no steps."""
        b = self.builder
        match definition:
            case FilterStep(predicate, steps, status):
                return self._filter(b.expression(predicate), b.build(steps), status)
            case ChoiceStep(whens, otherwise):
                clauses = [(b.expression(w.predicate), b.build(w.steps)) for w in whens]
                return self._choice(clauses, b.build(otherwise or []))
            case SplitStep():
                return self._split(definition)
            case IdempotentConsumerStep(key, repository, steps, skip_duplicate):
                repo = b.context.resolve(repository) if isinstance(repository, Ref) else repository
                return self._idempotent(b.expression(key), repo, b.build(steps), skip_duplicate)
            case MulticastStep():
                return self._multicast(definition)
            case DoTryStep():
                return self._do_try(definition)
            case LoopStep():
                return self._loop(definition)
        return None

    async def run(self, steps: Sequence[Step], exchange: Exchange) -> None:
        """Run ``steps`` on an exchange of the block's own (a part, a copy), an error a
        step raises instead of setting failing that exchange alone."""
        try:
            await run_steps(steps, exchange)
        except Exception as error:  # e.g. an idempotent repository is down
            exchange.exception = error

    @staticmethod
    def _filter(predicate: Expression, steps: list[Step], status: str | None) -> Step:
        async def filter_(exchange: Exchange) -> None:
            matched = await holds(predicate, exchange)
            exchange.properties[headers.FILTER_MATCHED] = matched
            if status is not None:
                exchange.properties[status] = matched
            if matched:
                await run_steps(steps, exchange)

        return filter_

    @staticmethod
    def _choice(clauses: list[tuple[Expression, list[Step]]], otherwise: list[Step]) -> Step:
        async def choice(exchange: Exchange) -> None:
            for predicate, steps in clauses:
                if await holds(predicate, exchange):
                    await run_steps(steps, exchange)
                    return
            await run_steps(otherwise, exchange)

        return choice

    def _split(self, definition: SplitStep) -> Step:
        b = self.builder
        items_of, steps = b.expression(definition.expression), b.build(definition.steps)
        strategy = b.strategy(definition.aggregation_strategy)

        async def split(exchange: Exchange) -> None:
            items = split_items(await call(items_of, exchange), definition.delimiter)
            if definition.streaming:
                gathered, failure = await run_streaming(
                    streamed_parts(exchange, items),
                    self._runner(steps),
                    parallel=definition.parallel_processing,
                    stop_on_exception=definition.stop_on_exception,
                    strategy=strategy,
                )
                if failure is not None:
                    exchange.exception = failure
                elif gathered is not None:
                    exchange.message = gathered.message
                return
            parts = parts_at_once(exchange, items)
            await run_parts(
                [(part, self._runner(steps)) for part in parts],
                parallel=definition.parallel_processing,
                stop_on_exception=definition.stop_on_exception,
            )
            gather(exchange, parts, strategy, keep_original=True)

        return split

    def _runner(self, steps: Sequence[Step]) -> Run:
        async def run(part: Exchange) -> None:
            await self.run(steps, part)

        return run

    def _idempotent(
        self,
        key_of: Expression,
        repository: IdempotentRepository,
        steps: list[Step],
        skip_duplicate: bool,
    ) -> Step:
        logger = self.builder.logger

        async def idempotent_consumer(exchange: Exchange) -> None:
            key = await call(key_of, exchange)
            if key is None:
                exchange.exception = ValueError("idempotent consumer: the message has no key")
                return
            key = str(key)
            if not await repository.add(key):
                exchange.properties[headers.DUPLICATE_MESSAGE] = True
                if skip_duplicate:
                    logger.info("duplicate message %s skipped", key)
                    return
                await run_steps(steps, exchange)
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

    def _multicast(self, definition: MulticastStep) -> Step:
        branches = [[step] for step in self.builder.build(definition.steps)]
        strategy = self.builder.strategy(definition.aggregation_strategy)

        async def multicast(exchange: Exchange) -> None:
            parts = [part_of(exchange) for _ in branches]
            for index, part in enumerate(parts):
                part.properties[headers.MULTICAST_INDEX] = index
            await run_parts(
                [
                    (part, self._runner(branch))
                    for part, branch in zip(parts, branches, strict=True)
                ],
                parallel=definition.parallel_processing,
                stop_on_exception=definition.stop_on_exception,
            )
            gather(exchange, parts, strategy, keep_original=False)

        return multicast

    def recipient_list(self, definition: RecipientListStep) -> Step:
        b = self.builder
        recipients_of = b.expression(definition.expression)
        strategy = b.strategy(definition.aggregation_strategy)

        async def recipient_list(exchange: Exchange) -> None:
            value = await call(recipients_of, exchange)
            uris = _recipients(value, definition.delimiter)
            parts: list[tuple[Exchange, Run]] = []
            for uri in uris:
                producer = await b.endpoint_for(uri, definition.ignore_invalid_endpoints)
                if producer is None:
                    continue
                part = part_of(exchange)
                part.properties[headers.MULTICAST_INDEX] = len(parts)
                part.properties[headers.RECIPIENT_LIST_ENDPOINT] = uri
                parts.append((part, _sender(producer)))
            await run_parts(
                parts,
                parallel=definition.parallel_processing,
                stop_on_exception=definition.stop_on_exception,
            )
            gather(exchange, [part for part, _ in parts], strategy, keep_original=False)

        return recipient_list

    def _do_try(self, definition: DoTryStep) -> Step:
        unguarded = self.builder.for_error_handling()
        steps = unguarded.build(definition.steps)
        catches = [
            (tuple(c.exceptions), c.on_when, unguarded.build(c.steps)) for c in definition.catches
        ]
        finally_steps = (
            unguarded.build(definition.finally_steps)
            if definition.finally_steps is not None
            else None
        )

        async def do_try(exchange: Exchange) -> None:
            await self.run(steps, exchange)
            error = exchange.exception
            if error is not None:
                for types, on_when, catch_steps in catches:
                    if _caught(error, types) and (
                        on_when is None or await holds_with(on_when, exchange, error)
                    ):
                        exchange.exception = None
                        exchange.properties[headers.EXCEPTION_CAUGHT] = error
                        await self.run(catch_steps, exchange)
                        break
            if finally_steps is not None:
                pending, exchange.exception = exchange.exception, None
                await self.run(finally_steps, exchange)
                exchange.exception = exchange.exception or pending

        return do_try

    def _loop(self, definition: LoopStep) -> Step:
        b = self.builder
        steps, times_of = b.build(definition.steps), b.expression(definition.expression)

        async def loop(exchange: Exchange) -> None:
            original = exchange.message.copy() if definition.copy else None
            index = 0
            count = None if definition.do_while else int(await call(times_of, exchange))
            while (index < count) if count is not None else await holds(times_of, exchange):
                if original is not None:
                    exchange.message = original.copy()
                exchange.properties[headers.LOOP_INDEX] = index
                if count is not None:
                    exchange.properties[headers.LOOP_SIZE] = count
                await run_steps(steps, exchange)
                if exchange.failed or exchange.stopped or exchange.route_stop:
                    return
                index += 1

        return loop


def _recipients(value: Any, delimiter: str) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(uri).strip() for uri in value if str(uri).strip()]
    if value is None:
        return []
    return [uri.strip() for uri in str(value).split(delimiter) if uri.strip()]


def _sender(producer: Producer) -> Run:
    async def send(part: Exchange) -> None:
        try:
            await producer.process(part)
        except Exception as error:  # the part fails alone; gather decides
            part.exception = error

    return send


def _caught(error: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """Whether ``error``, or an error it was raised from, is one of ``types`` (Camel's
    doCatch looks through the causes)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, types):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
