"""The beans the Camel documentation examples name (``tests/engine/camel_docs``), as
their cases describe them in words: processors and aggregation strategies, by case."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from endpoints import headers
from endpoints.exchange import Exchange


def _joining(separator: str) -> Callable[[Exchange | None, Exchange], Exchange]:
    """No old exchange: the new one; else the old, its body ``old + separator + new``."""

    def aggregate(old: Exchange | None, new: Exchange) -> Exchange:
        if old is None:
            return new
        old.message.body = f"{old.body}{separator}{new.body}"
        return old

    return aggregate


def _raising(message: str, when: Callable[[Any], bool] = lambda body: True) -> Any:
    def processor(exchange: Exchange) -> None:
        if when(exchange.body):
            raise ValueError(message)  # java.lang.IllegalArgumentException

    return processor


def _fail_first_attempt(exchange: Exchange) -> None:
    attempt = int(exchange.message.header(headers.REDELIVERY_COUNTER, 0)) + 1
    if attempt < 2:
        raise Exception(  # java.lang.RuntimeException
            f"Failed to process due to attempt: {attempt} being less than: 2"
        )


def _enrich_strategy(original: Exchange | None, resource: Exchange) -> Exchange:
    assert original is not None
    original.message.body = f"{original.body}:{resource.body}"
    return original


def _order_service() -> dict[str, Any]:
    counter = itertools.count(1)

    def handle_order(exchange: Exchange) -> None:
        exchange.message.body = f"(id={next(counter)},item={exchange.body})"

    def build_combined_response(exchange: Exchange) -> None:
        exchange.message.body = f"Response[{exchange.body}]"

    return {
        "handleOrder": handle_order,
        "buildCombinedResponse": build_combined_response,
        "myOrderStrategy": _joining(";"),
    }


class BodyAppender:
    """MyBodyAppender of the aggregate page: ``append(existing, next)`` is next + existing."""

    def append(self, existing: str, following: str) -> str:
        return following + existing


def beans_for(case: str) -> dict[str, Any]:
    """The beans of the case named ``case``, new for each run."""
    forced = _raising("Forced")
    makers: dict[str, Callable[[], dict[str, Any]]] = {
        "aggregate-bean-appender-completion-size": lambda: {"myAppender": BodyAppender()},
        "aggregate-correlation-buckets": lambda: {"myStringStrategy": _joining("+")},
        "aggregate-force-complete-all-groups": lambda: {"myStringStrategy": _joining("+")},
        "dlc-redelivery-state-headers": lambda: {"failFirstAttempt": _fail_first_attempt},
        "enrich-with-aggregation-strategy": lambda: {"myStrategy": _enrich_strategy},
        "error-handler-dead-letter-redeliver-three-times": lambda: {
            "myFailureProcessor": _raising("Damn")
        },
        "multicast-stop-on-exception": lambda: {"myProcessor": forced},
        "multicast-continues-after-failure-by-default": lambda: {"myProcessor": forced},
        "recipient-list-stop-on-exception": lambda: {"myProcessor": forced},
        "recipient-list-parallel-timeout": lambda: {"concatStrategy": _joining("")},
        "split-and-aggregate-orders": _order_service,
        "split-stop-on-exception": lambda: {
            "myProcessor": _raising("Forced", lambda body: body == "Kaboom")
        },
        "split-continues-after-failure-by-default": lambda: {
            "myProcessor": _raising("Forced", lambda body: body == "Kaboom")
        },
        "split-share-unit-of-work-dead-letter": lambda: {
            "myProcessor": _raising("Forced", lambda body: body == "Camel")
        },
    }
    return makers.get(case, dict)()
