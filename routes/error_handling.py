"""The redelivery error handler: one mechanism behind ``on_exception`` policies, the
default error handler and the dead-letter channel (Camel's RedeliveryErrorHandler).

It wraps each leaf step, so a redelivery repeats the step that failed, not the
route. The policy for an error is the ``on_exception`` whose type is nearest in the
error's class hierarchy and whose ``on_when`` holds (one with ``on_when`` before one
without, route-level before engine-level on a tie); errors that no policy names use
the error handler's own redelivery.

A redelivered exchange carries Camel's ``CamelRedelivered``, ``CamelRedeliveryCounter``
and ``CamelRedeliveryMaxCounter``. When the error is then handled (a dead-letter
channel, a handled or continued policy) they are removed before the failure steps
run; a policy that does not handle sees how many redeliveries were made (0, false).

Error handling is never handled again: an error raised by a policy's steps fails the
exchange with it (``in_error_handling``), and a message a route's dead-letter channel is
handling never goes to that channel a second time, so no handler re-enters itself
(Camel's FatalFallbackErrorHandler).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

from endpoints import headers
from endpoints.base import Producer
from endpoints.cohort import COHORT, Cohort
from endpoints.exchange import Exchange, Message, utcnow
from endpoints.processor import Processor
from endpoints.uri import mask_credentials
from routes.definition import ErrorHandler, OnException
from routes.expressions import Expression
from routes.metrics import RouteMetrics
from routes.pipeline import Step, call, run_steps
from routes.predicates import holds, holds_with
from routes.steps import LogLevel

logger = logging.getLogger(__name__)

Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class ExceptionPolicy:
    """An ``on_exception`` definition with its steps built."""

    definition: OnException
    steps: Sequence[Step]


def in_error_handling(step: Step) -> Step:
    """``step`` as a step of error handling (an ``on_exception``'s own): what it raises
    fails the exchange, and no error handler takes it."""

    async def unguarded(exchange: Exchange) -> None:
        try:
            await step(exchange)
        except Exception as error:  # the exchange fails with it; the policy logs it once
            exchange.exception = error

    return unguarded


def failure_headers(error: BaseException, route_id: str, attempts: int) -> dict[str, object]:
    kind = type(error)
    return {
        headers.EXCEPTION_TYPE: f"{kind.__module__}.{kind.__qualname__}",
        headers.EXCEPTION_MESSAGE: mask_credentials(str(error)),
        headers.ATTEMPTS: attempts,
        headers.FAILURE_ROUTE_ID: route_id,
        headers.FAILED_AT: utcnow().isoformat(),
    }


class RedeliveryErrorHandler:
    def __init__(
        self,
        route_id: str,
        definition: ErrorHandler,
        policies: Sequence[ExceptionPolicy],
        metrics: RouteMetrics,
        sleeper: Sleeper,
        dead_letter: Producer | None = None,
        on_prepare_failure: Processor | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.route_id = route_id
        self.definition = definition
        self.policies = policies
        self.metrics = metrics
        self.sleeper = sleeper
        self.dead_letter = dead_letter
        self.on_prepare_failure = on_prepare_failure
        self.rng = rng

    def wrap(self, step: Step) -> Step:
        async def channel(exchange: Exchange) -> None:
            await self.run(step, exchange)

        return channel

    async def policy_for(self, error: BaseException, exchange: Exchange) -> ExceptionPolicy | None:
        hierarchy = type(error).__mro__
        best: ExceptionPolicy | None = None
        best_rank = (len(hierarchy), 1)
        for policy in self.policies:
            on_when = policy.definition.on_when
            for kind in policy.definition.exceptions:
                if kind not in hierarchy:
                    continue
                rank = (hierarchy.index(kind), 0 if on_when is not None else 1)
                if rank < best_rank and (
                    on_when is None or await holds_with(on_when, exchange, error)
                ):
                    best, best_rank = policy, rank
        return best

    async def run(self, step: Step, exchange: Exchange) -> None:
        redeliveries = 0
        delays: Iterator[float] | None = None
        while True:
            try:
                await step(exchange)
                return
            except Exception as error:  # every error is the handler's business
                policy = await self.policy_for(error, exchange)
                redelivery = policy.definition.redelivery if policy else self.definition.redelivery
                if not redelivery.should_redeliver(error, redeliveries):
                    await self._exhausted(exchange, error, policy, redeliveries)
                    return
                delays = delays or redelivery.delays(self.rng)
                redeliveries += 1
                message = exchange.message
                message.set_header(headers.REDELIVERED, True)
                message.set_header(headers.REDELIVERY_COUNTER, redeliveries)
                if redelivery.maximum_redeliveries > 0:
                    message.set_header(
                        headers.REDELIVERY_MAX_COUNTER, redelivery.maximum_redeliveries
                    )
                self.metrics.redelivered += 1
                delay = next(delays)
                logger.info(
                    "route %s: %s: %s; redelivery %d/%d in %.3fs",
                    self.route_id,
                    type(error).__name__,
                    error,
                    redeliveries,
                    redelivery.maximum_redeliveries,
                    delay,
                )
                await self.sleeper(delay)

    async def _exhausted(
        self,
        exchange: Exchange,
        error: Exception,
        policy: ExceptionPolicy | None,
        redeliveries: int,
    ) -> None:
        attempts = redeliveries + 1
        exchange.properties[headers.EXCEPTION_CAUGHT] = error
        # A policy without steps leaves the error to the dead-letter channel, if any, once
        # its own redeliveries are spent (Camel's failure processor falls back to it).
        if policy is not None and (policy.steps or self.dead_letter is None):
            definition = policy.definition
            handled = await _flag(definition.handled, exchange)
            continued = not handled and await _flag(definition.continued, exchange)
            _mark_redeliveries(exchange.message, redeliveries, handled or continued)
            if definition.use_original_message or definition.use_original_body:
                exchange.message = _original(exchange, definition.use_original_message)
            exchange.headers.update(failure_headers(error, self.route_id, attempts))
            await run_steps(policy.steps, exchange)
            if exchange.exception is not None:  # a step of the policy itself failed
                self._log_failure_in_handling(error, exchange.exception)
                return
            if handled:
                exchange.stopped = True
                if definition.log_handled:
                    self._log_failure(error, attempts, definition.log_level)
                return
            if continued:
                return
            exchange.exception = error  # the policy's steps had it: no dead letter
            self._log_failure(error, attempts, definition.log_level)
            return
        _mark_redeliveries(exchange.message, redeliveries, self.dead_letter is not None)
        exchange.headers.update(failure_headers(error, self.route_id, attempts))
        exchange.exception = error
        if self.dead_letter is not None:
            await self._send_to_dead_letter(exchange, error, attempts)
        else:
            self._log_failure(error, attempts)

    def _log_failure(self, error: Exception, attempts: int, level: LogLevel = "WARNING") -> None:
        logger.log(
            logging.getLevelName(level),
            "route %s: %s after %d attempt(s): %s",
            self.route_id,
            type(error).__name__,
            attempts,
            error,
        )

    def _log_failure_in_handling(self, error: Exception, new: BaseException) -> None:
        logger.error(
            "route %s: %s while handling %s (%s): %s",
            self.route_id,
            type(new).__name__,
            type(error).__name__,
            error,
            new,
            exc_info=new,
        )

    async def _send_to_dead_letter(
        self, exchange: Exchange, error: Exception, attempts: int
    ) -> None:
        assert self.dead_letter is not None
        cohort = exchange.properties.get(COHORT)
        if isinstance(cohort, Cohort):  # its batch's others need not wait for it
            cohort.left(exchange)
        handling: tuple[str, ...] = exchange.properties.get(headers.DEAD_LETTER_ROUTES, ())
        if self.route_id in handling:  # this channel is handling the message already
            logger.error(
                "route %s: %s while its dead-letter channel handles the message; "
                "not sent there again: %s",
                self.route_id,
                type(error).__name__,
                error,
            )
            exchange.exception = error
            return
        try:
            if self.on_prepare_failure is not None:
                await call(self.on_prepare_failure, exchange)
            definition = self.definition
            if definition.use_original_message or definition.use_original_body:
                message = _original(exchange, definition.use_original_message)
            else:
                message = exchange.message.copy()
            message.headers.update(failure_headers(error, self.route_id, attempts))
            # The failed exchange's id for its logs, even when the message came without one.
            if (correlation := exchange.headers.get(headers.CORRELATION_ID)) is not None:
                message.headers.setdefault(headers.CORRELATION_ID, correlation)
            # As in Camel, the dead letter's endpoint can tell what it was sent for.
            letter = Exchange(
                message,
                properties={
                    headers.EXCEPTION_CAUGHT: error,
                    headers.FAILURE_ROUTE_ID_PROPERTY: self.route_id,
                    headers.DEAD_LETTER_ROUTES: (*handling, self.route_id),
                },
                route_id=self.route_id,
            )
            await self.dead_letter.process(letter)
        except Exception as new_error:
            self._dead_letter_failed(exchange, error, new_error)
            return
        logger.warning(
            "route %s: %s after %d attempt(s), sent to %s: %s",
            self.route_id,
            type(error).__name__,
            attempts,
            self.definition.dead_letter_uri,
            error,
        )
        exchange.exception = None
        exchange.stopped = True
        exchange.properties[headers.DEAD_LETTERED] = True
        self.metrics.dead_lettered += 1

    def _dead_letter_failed(
        self, exchange: Exchange, error: Exception, new_error: Exception
    ) -> None:
        """Camel's deadLetterHandleNewException: by default the channel's own failure is
        logged and the exchange counts as handled; turned off, it fails the exchange."""
        handle = self.definition.dead_letter_handle_new_exception
        logger.warning(
            "route %s: the dead-letter channel %s failed with %s while handling %s (%s); %s",
            self.route_id,
            self.definition.dead_letter_uri,
            type(new_error).__name__,
            type(error).__name__,
            error,
            "the exchange counts as handled" if handle else "the exchange fails with it",
            exc_info=new_error,
        )
        if handle:
            exchange.exception = None
            exchange.stopped = True
        else:
            exchange.exception = new_error


def _mark_redeliveries(message: Message, redeliveries: int, handled: bool) -> None:
    """Camel's redelivery headers as the failure steps see them: gone when the error is
    handled; else how many redeliveries were made."""
    if handled:
        for name in (
            headers.REDELIVERED,
            headers.REDELIVERY_COUNTER,
            headers.REDELIVERY_MAX_COUNTER,
        ):
            message.remove_header(name)
    else:
        message.set_header(headers.REDELIVERED, redeliveries > 0)
        message.set_header(headers.REDELIVERY_COUNTER, redeliveries)


def _original(exchange: Exchange, whole: bool) -> Message:
    """The message as it came (``whole``), or the message now with the body it came with."""
    if whole:
        return exchange.original.copy()
    message = exchange.message.copy()
    message.body = exchange.original.copy().body
    return message


async def _flag(value: bool | Expression, exchange: Exchange) -> bool:
    return value if isinstance(value, bool) else await holds(value, exchange)
