"""The payment routes: the HTTP API, the lifecycle up to the execution command, the
execution itself and the recovery sweep, written in the engine's DSL.

Where commands and events travel is a ``Topology`` of endpoint URIs: Kafka topics
with real servers, ``seda:`` queues when embedded. The routes are the same, but for
when an order's command is settled: once on Kafka, or, on an in-process queue that a
restart empties, once the order ended. Every store write is a batch step, so the
orders that reach it together share one store call (``STORE_BATCH``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypedDict

from pydantic import ValidationError

from components.http import ProblemError
from endpoints.exchange import Exchange
from endpoints.headers import CORRELATION_ID, HTTP_PRINCIPAL, KAFKA_KEY, TRACE_CONTEXT
from endpoints.redelivery_policy import RedeliveryPolicy
from payments.api import answers
from payments.api.answers import ORDERS_PATH
from payments.api.queries import OrderQueries
from payments.domain.rejections import Rejected
from payments.domain.store import StoreUnavailable
from payments.domain.topics import TopicNames
from payments.gateway import TransientGatewayError
from payments.lifecycle.execution import EventInFlight, Execution
from payments.lifecycle.ingestion import Ingestion
from payments.lifecycle.keys import CLIENT_ID, NEXT, ORDER_CREATED, ORDER_ID, Next
from payments.operations.reconciliation import Reconciler
from routes.definition import dead_letter_channel, default_error_handler
from routes.dsl import RouteBuilder, RouteDsl
from routes.expressions import body, exchange_property, header
from routes.simple import Simple, simple

# The ids of the routes that others look up (readiness, the console).
CREATE_ROUTE = "create-payment-order"
EXECUTE_ROUTE = "execute-payment-order"
FAIL_ROUTE = "fail-payment-order"
RECOVER_ROUTE = "recover-payment-orders"
RECONCILE_ROUTE = "reconcile-payment-orders"

LIFECYCLE_QUEUE = "seda:payment-lifecycle?concurrentConsumers=256&size=10000"
ADVANCE = "direct:advance-payment-order"
# Where a command whose retries ran out goes: its order is failed there, its event
# published and the command dead-lettered.
FAIL = "direct:fail-payment-order"


class BatchRules(TypedDict):
    size: int
    timeout: float


# The group commit of every store write: up to this many orders in one call, none of
# them waiting more than this many seconds for the others.
STORE_BATCH = BatchRules(size=256, timeout=0.005)

# A worker takes what Kafka fetched (what arrives within POLL_TIMEOUT more) as one
# batch, and works on up to BATCHES_IN_FLIGHT at once: a batch holds its place until
# its last event is marked, so a few in flight keep a trickle of orders from queueing.
POLL_TIMEOUT = 0.002
BATCHES_IN_FLIGHT = 4

# Seconds between two folds of the store's recent writes into what its listings and
# counts read (``OrderStore.summarise``).
SUMMARY_PERIOD = 1.0

# A store or broker outage: retry a little, then fail the exchange so its source
# (a Kafka record, the recovery sweep) brings it back later. Never dead-lettered.
OUTAGE_RETRY = RedeliveryPolicy(
    maximum_redeliveries=3,
    redelivery_delay=0.2,
    use_exponential_backoff=True,
    backoff_multiplier=2,
    maximum_redelivery_delay=2,
)


# Waiting for the worker that just ended an order to mark its event published: long
# enough to outlast ``Execution.event_grace`` (about 8 s in all), then the exchange fails
# and Kafka brings the command back.
EVENT_WAIT = RedeliveryPolicy(
    maximum_redeliveries=6,
    redelivery_delay=0.25,
    use_exponential_backoff=True,
    backoff_multiplier=2,
    maximum_redelivery_delay=2,
)


@dataclass(frozen=True)
class Topology:
    commands: str  # where the execution command is sent
    commands_in: str  # where the processor reads it
    dead_letter: str
    executed: str
    failed: str
    gateway: str

    @property
    def durable(self) -> bool:
        """Whether a command sent stays sent when this process ends (not a seda: queue)."""
        return not self.commands.startswith("seda:")

    @classmethod
    def kafka(cls, topics: TopicNames, gateway: str, group_id: str, concurrency: int) -> Topology:
        return cls(
            commands=f"kafka:{topics.execute}",
            commands_in=(
                f"kafka:{topics.execute}?groupId={group_id}&batching=true"
                f"&maxPollRecords={concurrency}&pollTimeout={POLL_TIMEOUT}"
                f"&concurrency={BATCHES_IN_FLIGHT}&valueFormat=bytes"
            ),
            dead_letter=f"kafka:{topics.dead_letter}",
            executed=f"kafka:{topics.executed}",
            failed=f"kafka:{topics.failed}",
            gateway=gateway,
        )

    @classmethod
    def embedded(cls, gateway: str, concurrency: int) -> Topology:
        topics = TopicNames()
        return cls(
            commands=f"seda:{topics.execute}?size=10000",
            commands_in=f"seda:{topics.execute}?concurrentConsumers={concurrency}",
            dead_letter=f"log:{topics.dead_letter}?level=WARN&showHeaders=true",
            executed=f"log:{topics.executed}?level=DEBUG",
            failed=f"log:{topics.failed}?level=INFO",
            gateway=gateway,
        )


def _api(builder: RouteBuilder, method: str, path: str, route_id: str) -> RouteDsl:
    return (
        builder.from_(f"http:{path}?method={method}&maxBodySize=16384")
        .route_id(route_id)
        .on_exception(StoreUnavailable)
        .process(answers.store_unavailable)
        .end()
        .on_exception(Rejected, log_level="INFO")
        .process(answers.refused)
        .end()
        # What the client got wrong: its answer says so, and the access log has it.
        .on_exception(ProblemError, ValidationError, log_level="INFO")
        .end()
    )


def ingestion_routes(
    builder: RouteBuilder,
    lifecycle: Ingestion,
    topology: Topology,
    recovery_period: float,
    recovery_after: float,
) -> None:
    """The API, and the lifecycle up to the execution command. An order is stored
    PENDING before the API answers; the rest runs after, so a crash in between leaves
    a PENDING order that the recovery sweep finishes."""
    (
        _api(builder, "POST", ORDERS_PATH, CREATE_ROUTE)
        .set_header(CLIENT_ID, header(HTTP_PRINCIPAL))
        .process(lifecycle.receive)
        .batch(lifecycle.create_all, **STORE_BATCH)
        .process(answers.placed)
        .filter(exchange_property(ORDER_CREATED))
        .to(LIFECYCLE_QUEUE)
    )
    queries = OrderQueries(lifecycle.store)
    _api(builder, "GET", f"{ORDERS_PATH}/{{id}}", "get-payment-order").process(queries.get)
    _api(builder, "GET", f"{ORDERS_PATH}/{{id}}/history", "get-payment-order-history").process(
        queries.history
    )
    _api(builder, "GET", ORDERS_PATH, "list-payment-orders").process(queries.list_orders)
    (
        builder.from_(LIFECYCLE_QUEUE)
        .route_id("queue-payment-order")
        # The request ends here: its headers go no further but its correlation and trace.
        .remove_headers("*", CORRELATION_ID, *TRACE_CONTEXT)
        .to(ADVANCE)
    )
    advance = (
        builder.from_(ADVANCE)
        .route_id("advance-payment-order")
        .error_handler(default_error_handler(OUTAGE_RETRY))
        .batch(lifecycle.advance_all, **STORE_BATCH)
        .set_header(KAFKA_KEY, exchange_property(ORDER_ID))
        .to(topology.commands)
    )
    if topology.durable:
        advance.batch(lifecycle.settle_all, **STORE_BATCH)
    (
        builder.from_(f"timer:payment-recovery?period={_ms(recovery_period)}&delay=0")
        .route_id(RECOVER_ROUTE)
        .process(partial(lifecycle.unfinished, older_than=timedelta(seconds=recovery_after)))
        # All at once, so that the advance writes them together.
        .split(body(), parallel_processing=True)
        .to(ADVANCE)
        .end()
    )

    async def summarise(exchange: Exchange) -> None:
        await lifecycle.store.summarise()

    (
        builder.from_(f"timer:payment-summary?period={_ms(SUMMARY_PERIOD)}&delay=0")
        .route_id("summarise-payment-orders")
        .on_exception(StoreUnavailable, log_level="DEBUG")  # readiness says the store is down
        .end()
        .process(summarise)
    )


def next_is(step: Next) -> Simple:
    """Whether the execution decided ``step`` for this command (``payments.lifecycle.keys``)."""
    return simple(f"${{exchangeProperty.{NEXT}}} == '{step}'")


def processor_routes(
    builder: RouteBuilder,
    execution: Execution,
    topology: Topology,
    gateway_retry: RedeliveryPolicy,
) -> None:
    """Execute each command once, on what the execution decides for it (``Next``): pay
    the order, then publish its event; publish the event a crash left owed; or nothing,
    for a duplicate. Transient gateway errors are retried with backoff; what still fails
    goes to ``FAIL``; an outage of the store fails the exchange so the command is read
    again later; an event another worker may be publishing right now is waited for. The
    event of an ended order is marked published once on Kafka."""
    execute = (
        builder.from_(topology.commands_in)
        .route_id(EXECUTE_ROUTE)
        # A failure to fail the order (the store is down) fails the exchange, so Kafka
        # brings the command back: never a command counted as handled with its order
        # left EXECUTING.
        .error_handler(
            dead_letter_channel(
                FAIL,
                gateway_retry,
                use_original_message=True,  # the command as it arrived, for a re-drive
                dead_letter_handle_new_exception=False,
            )
        )
        # These fail the exchange, so Kafka brings the command back later: a policy with
        # a step of its own does (one without would leave it to the dead-letter channel).
        .on_exception(StoreUnavailable, redelivery=OUTAGE_RETRY)
        .log("the store is unavailable: the command is read again later", "DEBUG")
        .end()
        .on_exception(EventInFlight, redelivery=EVENT_WAIT)
        .log("another worker publishes the event: the command is read again later", "DEBUG")
        .end()
        .process(execution.begin)
        .batch(execution.claim_all, **STORE_BATCH)
        .process(execution.decide)
        .filter(next_is(Next.PAY))
        .to(topology.gateway)
        .batch(execution.complete_all, **STORE_BATCH)
        .process(execution.decide)  # another worker ended the order first
        .end()
        .set_header(KAFKA_KEY, exchange_property(ORDER_ID))
        .choice()
        .when(next_is(Next.PUBLISH_EXECUTED))
        .to(topology.executed)
        .batch(execution.events_published_all, **STORE_BATCH)
        .when(next_is(Next.PUBLISH_FAILED))
        .to(topology.failed)
        .batch(execution.events_published_all, **STORE_BATCH)
        .end()
    )
    # The command as it arrived goes to the dead-letter topic first, so that a crash
    # in what follows repeats all of it rather than losing the record; an order that
    # FAILED has its dead letter already.
    fail = (
        builder.from_(FAIL)
        .route_id(FAIL_ROUTE)
        .error_handler(default_error_handler(OUTAGE_RETRY))
        .to(topology.dead_letter)
        .process(execution.fail)
        .filter(next_is(Next.PUBLISH_FAILED))
        .set_header(KAFKA_KEY, exchange_property(ORDER_ID))
        .to(topology.failed)
        .batch(execution.events_published_all, **STORE_BATCH)
        .end()
    )
    if not topology.durable:  # the order ended: a restart has nothing left to resend
        execute.batch(execution.settle_all, **STORE_BATCH)
        fail.batch(execution.settle_all, **STORE_BATCH)


def reconciliation_route(builder: RouteBuilder, reconciler: Reconciler, period: float) -> None:
    """The orders against the bank's bookings every ``period`` seconds (RECONCILE_PERIOD)."""
    (
        builder.from_(f"timer:payment-reconciliation?period={_ms(period)}&delay=0")
        .route_id(RECONCILE_ROUTE)
        .process(reconciler)
    )


def _ms(seconds: float) -> int:
    """A timer's period (milliseconds, as Camel's) from the settings' seconds."""
    return max(1, round(seconds * 1000))


def gateway_retry_policy(
    maximum_redeliveries: int, delay: float, multiplier: float, maximum_delay: float
) -> RedeliveryPolicy:
    return RedeliveryPolicy(
        maximum_redeliveries=maximum_redeliveries,
        redelivery_delay=delay,
        use_exponential_backoff=True,
        backoff_multiplier=multiplier,
        maximum_redelivery_delay=maximum_delay,
        jitter=True,
        retry_on=lambda error: isinstance(error, TransientGatewayError),
    )
