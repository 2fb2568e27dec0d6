"""YAML routes: they build what their Python twin builds, and their mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoints.redelivery_policy import RedeliveryPolicy
from routes.definition import dead_letter_channel
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.expressions import constant, header, simple
from routes.idempotent import MemoryIdempotentRepository
from routes.yaml_dsl import RouteConfigError, load_route_directory, load_routes
from tests.engine.support import mock

HERE = Path(__file__).parent


def python_twin() -> RouteBuilder:
    builder = RouteBuilder()
    builder.on_exception(
        TimeoutError, redelivery=RedeliveryPolicy(2, redelivery_delay=0.25), log_level="ERROR"
    )
    (
        builder.from_("direct:orders")
        .route_id("orders")
        .error_handler(
            dead_letter_channel(
                "mock:dlq",
                RedeliveryPolicy(3, 0.5, 2, maximum_redelivery_delay=4, jitter=True),
                dead_letter_handle_new_exception=False,
            )
        )
        .on_exception(KeyError, LookupError, handled=True)
        .set_body(simple("rejected: ${exception.message}"))
        .end()
        .set_header("kind", simple("${body.kind}"))
        .process("validate")
        .idempotent_consumer(header("orderId"), "seen")
        .filter(simple("${body.amount} > 0"))
        .choice()
        .when(simple("${header.kind} == 'urgent'"))
        .to("mock:urgent")
        .otherwise()
        .to("mock:normal", "mock:audit")
        .end()
        .end()
        .wire_tap("mock:tap")
        .log("order ${header.orderId} routed")
        .remove_headers("x-*", "x-correlation-id")
        .transform(constant("done"))
    )
    return builder


def test_a_yaml_route_builds_the_same_definitions_as_its_python_twin() -> None:
    from_yaml, from_python = load_routes(HERE / "routes" / "twin.yaml"), python_twin()
    assert from_yaml.routes == from_python.routes
    assert from_yaml.on_exceptions == from_python.on_exceptions
    assert from_yaml.routes[0].source.endswith("twin.yaml")


async def test_a_yaml_route_runs() -> None:
    engine = Engine()
    engine.bind("validate", lambda exchange: None)
    engine.bind("seen", MemoryIdempotentRepository())
    engine.add_routes(load_route_directory(HERE / "routes"))
    await engine.start()
    try:
        first = await engine.send(
            "direct:orders", {"kind": "urgent", "amount": 5}, {"orderId": "o-1"}
        )
        await engine.send("direct:orders", {"kind": "urgent", "amount": 5}, {"orderId": "o-1"})
        await engine.send("direct:orders", {"kind": "slow", "amount": 5}, {"orderId": "o-2"})
    finally:
        await engine.stop()
    assert first.body == "done"
    assert len(mock(engine, "mock:urgent").received) == 1
    assert len(mock(engine, "mock:normal").received) == 1
    assert len(mock(engine, "mock:audit").received) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- route:\n    id: r1\n    from: {uri: 'direct:a', steps: [{too: 'mock:x'}]}\n",
            "route 'r1': route.from.steps[0].too: Extra inputs are not permitted",
        ),
        (
            "- route:\n    id: r2\n    from: {uri: 'direct:a', steps: [{to: 'mock:x', log: hi}]}\n",
            "route 'r2': route.from.steps[0]: Value error, a step needs exactly one of",
        ),
        (
            "- route:\n    id: r3\n    from: {steps: []}\n",
            "route 'r3': route.from.uri: Field required",
        ),
        (
            "- route:\n    id: r4\n    from: {uri: 'direct:a'}\n"
            "    on-exception: [{exception: [no.such.Error]}]\n",
            "route 'r4': no exception class 'no.such.Error' can be imported",
        ),
        (
            "- route:\n    id: r5\n    from:\n      uri: direct:a\n"
            "      steps: [{filter: {simple: '${headr.a} == 1', steps: []}}]\n",
            "route 'r5': unknown placeholder ${headr.a}",
        ),
        ("- route: {id: r6\n", "cannot read YAML"),
        ("route: {}\n", "expected a list of entries"),
        (
            "- route:\n    id: r7\n    from: {uri: 'direct:a'}\n"
            "    error-handler: {dead-letter-channel: {dead-letter-uri: 'mock:d',"
            " redelivery-policy: {maximum-redeliveries: many}}}\n",
            "route 'r7': route.error-handler.dead-letter-channel.redelivery-policy"
            ".maximum-redeliveries: Input should be a valid integer",
        ),
    ],
)
def test_a_mistake_names_the_file_the_route_and_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(RouteConfigError) as raised:
        load_routes(path)
    assert str(raised.value).startswith(str(path))
    assert expected in str(raised.value)
