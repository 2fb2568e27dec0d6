"""An error inside error handling ends there: it fails the exchange (or, for the
dead-letter channel, is handled as Camel's deadLetterHandleNewException says), is
logged once, and never re-enters a handler. Camel's pages: error-handler.adoc ("an
exception occurred during error handling") and eips/dead-letter-channel.adoc."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from endpoints.exchange import Exchange
from routes.definition import dead_letter_channel
from routes.dsl import RouteBuilder
from routes.yaml import load_routes
from tests.engine.support import StartRoutes, mock

HANDLER_LOG = "routes.error_handling"


class Raising:
    """Raises ``error`` (a new instance, named by the call) on every call, and counts them."""

    def __init__(self, error: type[Exception]) -> None:
        self.error = error
        self.calls = 0

    def __call__(self, exchange: Exchange) -> None:
        self.calls += 1
        raise self.error(f"call {self.calls}")


def python_route(policy_step: Raising) -> Callable[[RouteBuilder], object]:
    return lambda r: (
        r.from_("direct:in")
        .route_id("guarded")
        .on_exception(ValueError)
        .process(policy_step)
        .end()
        .on_exception(KeyError, handled=True)
        .to("mock:key-error-policy")
        .end()
        .process(Raising(ValueError))
    )


YAML_ROUTE = """
- routeConfiguration:
    id: guarded-errors
    onException:
      - onException:
          exception: [builtins.ValueError]
          steps: [{process: {ref: in-handler}}]
      - onException:
          exception: [builtins.KeyError]
          handled: {constant: true}
          steps: [{to: mock:key-error-policy}]
- route:
    id: guarded
    routeConfigurationId: guarded-errors
    from:
      uri: direct:in
      steps:
        - process: {ref: fail}
"""


def yaml_route(tmp_path: Path) -> Callable[[RouteBuilder], object]:
    """The route of ``python_route``, its processors bound as ``fail`` and ``in-handler``."""
    path = tmp_path / "guarded.yaml"
    path.write_text(YAML_ROUTE)
    return lambda r: load_routes(path, into=r)


@pytest.mark.parametrize("dsl", ["python", "yaml"])
@pytest.mark.parametrize("raised", [ValueError, KeyError], ids=["same type", "another type"])
async def test_an_error_raised_by_an_on_exception_step_fails_the_exchange_once(
    run: StartRoutes,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    dsl: str,
    raised: type[Exception],
) -> None:
    caplog.set_level(logging.DEBUG, logger=HANDLER_LOG)
    in_handler = Raising(raised)
    build = python_route(in_handler) if dsl == "python" else yaml_route(tmp_path)
    engine = await run(build, beans={"fail": Raising(ValueError), "in-handler": in_handler})

    exchange = await engine.send("direct:in", "order")

    assert in_handler.calls == 1  # never re-entered its own policy
    assert isinstance(exchange.exception, raised)
    assert str(exchange.exception).strip("'") == "call 1"
    # Nor did the KeyError policy take the handler's KeyError.
    assert mock(engine, "mock:key-error-policy").received == []
    [record] = [r for r in caplog.records if r.name == HANDLER_LOG]
    assert record.levelname == "ERROR"
    assert record.getMessage() == (
        f"route guarded: {raised.__name__} while handling ValueError (call 1): {exchange.exception}"
    )


@pytest.mark.parametrize("handle_new_exception", [True, False])
async def test_a_failing_dead_letter_channel_is_logged_once_and_never_re_entered(
    run: StartRoutes, caplog: pytest.LogCaptureFixture, handle_new_exception: bool
) -> None:
    """By default (Camel's deadLetterHandleNewException=true) the exchange still counts
    as handled; turned off, it fails with the channel's error."""
    caplog.set_level(logging.DEBUG, logger=HANDLER_LOG)
    dead_letter_step = Raising(OSError)
    engine = await run(
        lambda r: (
            r.from_("direct:in")
            .route_id("pay")
            .error_handler(
                dead_letter_channel(
                    "direct:dead", dead_letter_handle_new_exception=handle_new_exception
                )
            )
            .process(Raising(ValueError)),
            r.from_("direct:dead").route_id("dead").process(dead_letter_step),
        )
    )

    exchange = await engine.send("direct:in", "order")

    assert dead_letter_step.calls == 1
    if handle_new_exception:
        assert exchange.exception is None
    else:
        assert isinstance(exchange.exception, OSError)
    channel_records = [r for r in caplog.records if "dead-letter channel" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in channel_records] == [
        (
            "WARNING",
            "route pay: the dead-letter channel direct:dead failed with OSError while "
            "handling ValueError (call 1); "
            + (
                "the exchange counts as handled"
                if handle_new_exception
                else "the exchange fails with it"
            ),
        )
    ]
    assert engine.metrics()["pay"]["dead_lettered"] == 0


async def test_a_dead_letter_route_that_fails_into_its_own_channel_stops_there(
    run: StartRoutes, caplog: pytest.LogCaptureFixture
) -> None:
    """One dead-letter channel for every route, the dead-letter route's own included:
    its failure goes to the channel once more, and the channel, seeing the message it
    is handling, does not send it again."""
    caplog.set_level(logging.DEBUG, logger=HANDLER_LOG)
    dead_letter_step = Raising(OSError)

    def build(r: RouteBuilder) -> object:
        r.error_handler(dead_letter_channel("direct:dead", dead_letter_handle_new_exception=False))
        r.from_("direct:in").route_id("pay").process(Raising(ValueError))
        return r.from_("direct:dead").route_id("dead").process(dead_letter_step)

    engine = await run(build)

    exchange = await engine.send("direct:in", "order")

    assert dead_letter_step.calls == 2  # the dead letter, and the dead letter's dead letter
    assert isinstance(exchange.exception, OSError)
    assert [r.getMessage() for r in caplog.records if "not sent there again" in r.getMessage()] == [
        "route dead: OSError while its dead-letter channel handles the message; "
        "not sent there again: call 2"
    ]
