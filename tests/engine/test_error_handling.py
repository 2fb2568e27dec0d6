"""Redelivery, on_exception policies and the dead-letter channel."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable

import pytest

from endpoints import headers
from endpoints.exchange import Exchange
from endpoints.redelivery_policy import NonRetryable, RedeliveryPolicy
from routes.definition import dead_letter_channel
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.expressions import constant
from routes.simple import simple
from tests.engine.support import RecordingSleeper, StartRoutes, mock


def missing_key(exchange: Exchange) -> None:
    raise KeyError("missing")


class Flaky:
    """Fails with ``error`` for the first ``failures`` calls, then succeeds."""

    def __init__(self, failures: int, error: Callable[[str], Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self, exchange: Exchange) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")


EXPO = RedeliveryPolicy(
    maximum_redeliveries=4,
    redelivery_delay=0.5,
    use_exponential_backoff=True,
    backoff_multiplier=2,
    maximum_redelivery_delay=3,
)


async def test_redelivers_the_failing_step_with_exponential_delays(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    flaky = Flaky(failures=4)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("pay")
            .on_exception(ConnectionError, redelivery=EXPO)
            .end()
            .to("mock:before")
            .process(flaky)
            .to("mock:after")
        )
    )
    exchange = await engine.send("direct:in", "order")
    assert exchange.exception is None
    assert flaky.calls == 5
    assert sleeper.delays == [0.5, 1.0, 2.0, 3]
    assert exchange.headers[headers.REDELIVERY_COUNTER] == 4
    # Only the failing step was repeated, not the route.
    assert len(mock(engine, "mock:before").received) == 1
    assert len(mock(engine, "mock:after").received) == 1
    assert engine.metrics()["pay"]["redelivered"] == 4
    assert engine.metrics()["pay"]["completed"] == 1


async def test_exhaustion_without_dead_letter_fails_the_exchange(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    flaky = Flaky(failures=10)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("pay")
            .on_exception(ConnectionError, redelivery=RedeliveryPolicy(2, redelivery_delay=1))
            .end()
            .process(flaky)
            .to("mock:after")
        )
    )
    exchange = await engine.send("direct:in", "order")
    assert isinstance(exchange.exception, ConnectionError)
    assert flaky.calls == 3
    assert exchange.headers[headers.ATTEMPTS] == 3
    assert mock(engine, "mock:after").received == []
    assert engine.metrics()["pay"]["failed"] == 1


@pytest.mark.parametrize(
    ("use_original_message", "body"),
    [(False, "changed by the route"), (True, "original")],
    ids=["as it failed (Camel's default)", "useOriginalMessage"],
)
async def test_dead_letter_channel_gets_the_message_with_failure_headers(
    run: StartRoutes, use_original_message: bool, body: str
) -> None:
    flaky = Flaky(failures=10, error=TimeoutError)
    handler = dead_letter_channel(
        "mock:dlq",
        RedeliveryPolicy(2, redelivery_delay=0.1),
        use_original_message=use_original_message,
    )
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("pay")
            .error_handler(handler)
            .set_body(constant("changed by the route"))
            .process(flaky)
        )
    )
    exchange = await engine.send("direct:in", "original", {"orderId": "o-1"})

    assert exchange.exception is None  # dead-lettered counts as handled
    [letter] = mock(engine, "mock:dlq").received
    assert letter.body == body
    assert letter.headers["orderId"] == "o-1"
    assert letter.headers[headers.EXCEPTION_TYPE] == "builtins.TimeoutError"
    assert letter.headers[headers.EXCEPTION_MESSAGE] == "failure 3"
    assert letter.headers[headers.ATTEMPTS] == 3
    assert letter.headers[headers.FAILURE_ROUTE_ID] == "pay"
    assert headers.FAILED_AT in letter.headers
    assert letter.headers[headers.CORRELATION_ID] == exchange.headers[headers.CORRELATION_ID]
    assert isinstance(letter.caught_exception, TimeoutError)  # what it was sent for
    assert str(letter.caught_exception) == "failure 3"
    assert engine.metrics()["pay"]["dead_lettered"] == 1


async def test_non_retryable_errors_skip_redelivery(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    class InvalidOrder(NonRetryable):
        pass

    flaky = Flaky(failures=1, error=InvalidOrder)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .error_handler(dead_letter_channel("mock:dlq", RedeliveryPolicy(5)))
            .process(flaky)
        )
    )
    await engine.send("direct:in", "bad")
    assert flaky.calls == 1
    assert sleeper.delays == []
    assert len(mock(engine, "mock:dlq").received) == 1


async def test_retry_on_predicate_decides_which_errors_are_redelivered(
    run: StartRoutes,
) -> None:
    only_503 = RedeliveryPolicy(3, redelivery_delay=0, retry_on=lambda e: "503" in str(e))
    retried = Flaky(1, lambda message: OSError("503 " + message))
    not_retried = Flaky(5, OSError)
    engine = await run(
        lambda r: (
            r.from_("direct:a").on_exception(OSError, redelivery=only_503).end().process(retried),
            r.from_("direct:b")
            .on_exception(OSError, redelivery=only_503)
            .end()
            .process(not_retried),
        )
    )
    assert (await engine.send("direct:a", 1)).exception is None
    assert isinstance((await engine.send("direct:b", 1)).exception, OSError)
    assert (retried.calls, not_retried.calls) == (2, 1)


async def test_handled_stops_the_route_and_answers_with_the_policy_steps(
    run: StartRoutes,
) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .on_exception(KeyError)
            .handled()
            .set_body(simple("rejected: ${exception.message}"))
            .end()
            .process(missing_key)
            .to("mock:after")
        )
    )
    exchange = await engine.send("direct:in", "x")
    assert exchange.exception is None
    assert exchange.body == "rejected: 'missing'"
    assert mock(engine, "mock:after").received == []


async def test_continued_ignores_the_error_and_goes_on(run: StartRoutes) -> None:
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .on_exception(KeyError)
            .continued()
            .end()
            .process(missing_key)
            .to("mock:after")
        )
    )
    exchange = await engine.send("direct:in", "x")
    assert exchange.exception is None
    assert mock(engine, "mock:after").bodies == ["x"]


async def test_the_nearest_exception_type_wins_and_route_level_beats_engine_level(
    sleeper: RecordingSleeper,
) -> None:
    builder = RouteBuilder()
    builder.on_exception(Exception).handled().set_body(constant("engine: Exception")).end()
    builder.on_exception(ConnectionError).handled().set_body(constant("engine: Connection")).end()
    (
        builder.from_("direct:in")
        .on_exception(OSError)
        .handled()
        .set_body(constant("route: OSError"))
        .end()
        .process(lambda ex: (_ for _ in ()).throw(ex.body()))
    )
    engine = Engine(sleeper=sleeper)
    engine.add_routes(builder)
    await engine.start()
    try:
        answers = [
            (await engine.send("direct:in", error)).body
            for error in (ConnectionRefusedError, FileNotFoundError, ValueError)
        ]
    finally:
        await engine.stop()
    assert answers == ["engine: Connection", "route: OSError", "engine: Exception"]


async def test_jitter_draws_each_delay_below_the_exponential_bound() -> None:
    policy = RedeliveryPolicy(
        6, redelivery_delay=1, use_exponential_backoff=True, backoff_multiplier=2, jitter=True
    )
    delays = [delay for delay, _ in zip(policy.delays(random.Random(7)), range(6), strict=False)]
    bounds = [1, 2, 4, 8, 16, 32]
    assert all(0 <= delay <= bound for delay, bound in zip(delays, bounds, strict=True))
    assert len(set(delays)) == 6


def test_camels_defaults_wait_a_second_between_redeliveries_without_backing_off() -> None:
    policy = RedeliveryPolicy(3)
    assert list(itertools.islice(policy.delays(), 3)) == [1.0, 1.0, 1.0]
    forever = RedeliveryPolicy(-1)
    assert forever.should_redeliver(TimeoutError(), 10_000)
    assert not RedeliveryPolicy(2).should_redeliver(TimeoutError(), 2)


def test_collision_avoidance_moves_each_delay_within_its_factor_and_the_cap_holds() -> None:
    policy = RedeliveryPolicy(
        5,
        redelivery_delay=1,
        use_exponential_backoff=True,
        maximum_redelivery_delay=4,
        use_collision_avoidance=True,
        collision_avoidance_factor=0.15,
    )
    delays = list(itertools.islice(policy.delays(random.Random(3)), 5))
    bounds = [1, 2, 4, 4, 4]
    assert all(b * 0.85 <= d <= min(b * 1.15, 4) for d, b in zip(delays, bounds, strict=True))
    assert delays != [1, 2, 4, 4, 4]


@pytest.mark.parametrize(
    ("field", "value"),
    [("maximum_redeliveries", -2), ("backoff_multiplier", 0.5), ("redelivery_delay", -1)],
)
def test_a_nonsensical_policy_is_refused(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field.split("_")[0]):
        RedeliveryPolicy(**{field: value})  # type: ignore[arg-type]


async def test_an_on_exception_logs_the_failure_at_its_log_level(
    run: StartRoutes, caplog: pytest.LogCaptureFixture
) -> None:
    """A client's bad request is no warning: the HTTP answer reports it already."""
    caplog.set_level("DEBUG", logger="routes.error_handling")
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("api")
            .on_exception(ValueError, log_level="INFO")
            .end()
            .process(Flaky(failures=1, error=ValueError))
        )
    )
    exchange = await engine.send("direct:in", "x")

    assert isinstance(exchange.exception, ValueError)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "route api: ValueError after 1 attempt(s): failure 1")
    ]


@pytest.mark.parametrize("log_handled", [False, True])
async def test_a_handled_error_is_logged_only_with_log_handled(
    run: StartRoutes, caplog: pytest.LogCaptureFixture, log_handled: bool
) -> None:
    """Camel's logHandled (redeliveryPolicy, default false): a handled error is logged
    too, at the policy's retriesExhaustedLogLevel."""
    caplog.set_level("DEBUG", logger="routes.error_handling")
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("api")
            .on_exception(ValueError, log_level="INFO", log_handled=log_handled)
            .handled()
            .set_body(constant("refused"))
            .end()
            .process(Flaky(failures=1, error=ValueError))
        )
    )
    exchange = await engine.send("direct:in", "x")

    assert (exchange.exception, exchange.body) == (None, "refused")
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged == (
        [("INFO", "route api: ValueError after 1 attempt(s): failure 1")] if log_handled else []
    )


async def test_an_on_exception_with_steps_fails_the_exchange_instead_of_dead_lettering(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    """E.g. a store outage: the source must redeliver later, not bury the message (Camel:
    a not handled onException with outputs replaces the dead-letter channel)."""
    flaky = Flaky(failures=10, error=ConnectionRefusedError)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .error_handler(dead_letter_channel("mock:dlq"))
            .on_exception(ConnectionError, redelivery=RedeliveryPolicy(2, redelivery_delay=0.1))
            .to("mock:policy")
            .end()
            .process(flaky)
        )
    )
    exchange = await engine.send("direct:in", "x")
    assert isinstance(exchange.exception, ConnectionRefusedError)
    assert flaky.calls == 3
    assert mock(engine, "mock:dlq").received == []
    [seen] = mock(engine, "mock:policy").received
    assert (seen.headers[headers.REDELIVERED], seen.headers[headers.REDELIVERY_COUNTER]) == (
        True,
        2,
    )


async def test_an_on_exception_without_steps_leaves_the_error_to_the_dead_letter_channel(
    run: StartRoutes, sleeper: RecordingSleeper
) -> None:
    """As Camel's failure processor falls back to the channel: after the policy's own
    redeliveries, the channel takes the message and the exchange counts as handled."""
    flaky = Flaky(failures=10, error=ConnectionRefusedError)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .error_handler(dead_letter_channel("mock:dlq"))
            .on_exception(ConnectionError, redelivery=RedeliveryPolicy(2, redelivery_delay=0.1))
            .handled(False)  # no effect under a dead-letter channel, as in Camel
            .end()
            .process(flaky)
        )
    )
    exchange = await engine.send("direct:in", "x")
    assert exchange.exception is None
    assert flaky.calls == 3
    [letter] = mock(engine, "mock:dlq").received
    assert headers.REDELIVERED not in letter.headers  # handled: the traces are removed
    assert letter.headers[headers.ATTEMPTS] == 3


async def test_a_failure_a_do_try_lets_through_is_logged_once_its_route_is_done(
    run: StartRoutes, caplog: pytest.LogCaptureFixture
) -> None:
    """Camel's error handler does not apply to a doTry (manual/try-catch-finally.adoc:
    "the regular Camel Error Handler is not in use"); what no doCatch caught goes back
    to the consumer, which logs it: a queue's route fails loudly, never silently."""
    done = asyncio.Event()

    def boom(exchange: Exchange) -> None:
        raise ValueError("boom")

    engine = await run(
        lambda r: (
            r.from_("seda:in")
            .route_id("queued")
            .do_try()
            .process(boom)
            .do_finally()
            .process(lambda exchange: done.set())
            .end()
        )
    )
    await engine.send("seda:in", "x")
    await asyncio.wait_for(done.wait(), 5)
    await engine.routes["queued"].wait_idle()
    logged = [r.getMessage() for r in caplog.records if r.name == "routes.route"]
    assert logged == ["route queued: error processing exchange: ValueError: boom"]
