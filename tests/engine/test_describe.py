"""Route descriptions: the graph a console draws, read from the route definitions."""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

from endpoints.exchange import Exchange
from endpoints.redelivery_policy import RedeliveryPolicy
from routes.definition import dead_letter_channel
from routes.describe import ExceptionNode, Link, StepNode, label
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.expressions import body, constant, header, ref
from routes.yaml import load_routes
from tests.engine.test_yaml_dsl import python_twin

TWIN = Path(__file__).parent / "routes" / "twin.yaml"


def described(builder: RouteBuilder) -> Engine:
    engine = Engine()
    engine.add_routes(builder)
    return engine


def test_a_yaml_route_is_described_like_its_python_twin() -> None:
    from_yaml = described(load_routes(TWIN)).describe()
    from_python = described(python_twin()).describe()
    assert from_yaml.routes[0].source.endswith("twin.yaml")
    assert from_python.routes[0].source == "python"
    assert [replace(graph, source="") for graph in from_yaml.routes] == [
        replace(graph, source="") for graph in from_python.routes
    ]


def test_the_graph_nests_branches_and_names_every_endpoint() -> None:
    (graph,) = described(load_routes(TWIN)).describe().routes
    assert graph.route_id == "orders"
    assert graph.from_uri == "direct:orders"
    assert [node.kind for node in graph.steps] == ["setHeader", "process", "idempotentConsumer"]
    assert graph.steps[0].label == "kind = ${body.kind}"
    assert graph.steps[1].label == "validate"
    idempotent = graph.steps[2]
    assert idempotent.label == "${header.orderId} in seen"
    assert [node.kind for node in idempotent.steps] == [
        "filter",
        "wireTap",
        "log",
        "removeHeaders",
        "setBody",
    ]
    assert idempotent.steps[3].label == "x-* but x-correlation-id"
    choice = idempotent.steps[0].steps[0]
    assert choice.steps == (
        StepNode(
            "when",
            "${header.kind} == 'urgent'",
            steps=(StepNode("to", "mock:urgent", ("mock:urgent",)),),
        ),
        StepNode(
            "otherwise",
            "otherwise",
            steps=(
                StepNode("to", "mock:normal", ("mock:normal",)),
                StepNode("to", "mock:audit", ("mock:audit",)),
            ),
        ),
    )
    assert idempotent.steps[2].label == "INFO: order ${header.orderId} routed"
    assert idempotent.steps[4].label == "'done'"
    assert graph.on_exceptions == (
        ExceptionNode(
            ("KeyError", "LookupError"),
            "handled",
            0,
            (StepNode("setBody", "rejected: ${exception.message}"),),
        ),
        ExceptionNode(("TimeoutError",), "failed", 2),  # of the configuration it names
    )
    assert graph.maximum_redeliveries == 3
    assert graph.dead_letter_uri == "mock:dlq"
    assert graph.sends_to() == ["mock:urgent", "mock:normal", "mock:audit", "mock:tap", "mock:dlq"]


def test_links_join_a_uri_sent_to_with_the_route_consuming_it() -> None:
    builder = RouteBuilder()
    builder.from_("direct:in").route_id("first").to("seda:work?size=10").wire_tap("mock:audit")
    builder.from_("seda:work?concurrentConsumers=2").route_id("second").to("mock:out")
    (
        builder.from_("timer:tick?period=5")
        .error_handler(dead_letter_channel("direct:in", RedeliveryPolicy(1)))
        .process(ref("tick"))
    )
    route_map = described(builder).describe()
    assert [graph.route_id for graph in route_map.routes] == ["first", "second", "route3"]
    assert route_map.links == (
        Link("first", "seda:work?size=10", "second"),
        Link("route3", "direct:in", "first"),
    )


def test_the_engine_default_error_handler_applies_to_routes_without_their_own() -> None:
    builder = RouteBuilder()
    builder.error_handler(dead_letter_channel("log:dead", RedeliveryPolicy(4)))
    builder.from_("direct:a").route_id("a").to("mock:a")
    (graph,) = described(builder).describe().routes
    assert (graph.dead_letter_uri, graph.maximum_redeliveries) == ("log:dead", 4)


def test_credentials_in_uris_are_masked() -> None:
    builder = RouteBuilder()
    (
        builder.from_("kafka:t?saslPassword=s3cret&groupId=g")
        .route_id("a")
        .error_handler(dead_letter_channel("http://ann:pw@dlq.test/letters"))
        .to("gateway:bank?url=http://ann:pw@bank.test/pay&timeout=5")
        .wire_tap("http://ann:pw@audit.test/copy")
    )
    (graph,) = described(builder).describe().routes

    assert graph.from_uri == "kafka:t?saslPassword=***&groupId=g"
    assert graph.dead_letter_uri == "http://***@dlq.test/letters"
    assert [(step.label, step.uris) for step in graph.steps] == [
        (
            "gateway:bank?url=http://***@bank.test/pay&timeout=5",
            ("gateway:bank?url=http://***@bank.test/pay&timeout=5",),
        ),
        ("http://***@audit.test/copy", ("http://***@audit.test/copy",)),
    ]


class Ledger:
    def post(self, exchange: Exchange) -> None: ...


def test_labels_name_processors_and_expressions_readably() -> None:
    def local_step(exchange: Exchange) -> None: ...

    assert label(Ledger().post) == "Ledger.post"
    assert label(functools.partial(Ledger().post)) == "Ledger.post"
    assert label(local_step) == "local_step"
    assert label(body("a.b")) == "${body.a.b}"
    assert label(body()) == "${body}"
    assert label(header("x")) == "${header.x}"
    assert label(constant(3)) == "3"
    assert label(Ledger()) == "Ledger"


def test_every_eip_of_a_yaml_route_is_drawn_with_its_blocks(tmp_path: Path) -> None:
    path = tmp_path / "eips.yaml"
    path.write_text(
        """
- onException:
    exception: [builtins.KeyError]
    handled: {simple: "${header.kind} == 'test'"}
- route:
    id: eips
    from:
      uri: direct:in
      steps:
        - setHeaders:
            headers:
              - {name: a, constant: 1}
              - {name: b, simple: "${header.a}"}
        - toD: "mock:${header.a}"
        - enrich: {constant: "direct:rates"}
        - recipientList: {header: targets}
        - multicast:
            steps: [{to: mock:x}, {to: mock:y}]
        - doTry:
            steps: [{throwException: {exceptionType: java.lang.IllegalStateException}}]
            doCatch:
              - exception: [java.lang.IllegalStateException]
                steps: [{log: caught}]
            doFinally:
              steps: [{to: mock:finally}]
        - loop:
            constant: 3
            steps: [{delay: {constant: 10}}]
        - throttle: {constant: 5, timePeriodMillis: 2000}
        - aggregate:
            correlationExpression: {header: id}
            completionSize: 2
        - stop: {}
"""
    )
    (graph,) = described(load_routes(path)).describe().routes
    assert [(node.kind, node.label) for node in graph.steps] == [
        ("setHeaders", "a = 1, b = ${header.a}"),
        ("toD", "mock:${header.a}"),
        ("enrich", "'direct:rates'"),
        ("recipientList", "${header.targets}"),
        ("multicast", "each in turn"),
        ("doTry", "try"),
        ("loop", "3 times"),
        ("throttle", "5 per 2 s"),
        ("aggregate", "by ${header.id}"),
    ]
    do_try = graph.steps[5]
    assert [(node.kind, node.label) for node in do_try.steps] == [
        ("throwException", "RuntimeError"),
        ("doCatch", "RuntimeError"),
        ("doFinally", "finally"),
    ]
    assert [node.kind for node in graph.steps[8].steps] == ["stop"]  # flow mode
    assert graph.on_exceptions[0].outcome == "handled if ${header.kind} == 'test'"
