"""YAML routes: they build what their Python twin builds, and their mistakes are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from endpoints.redelivery_policy import RedeliveryPolicy
from routes.definition import dead_letter_channel
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.expressions import constant, header
from routes.idempotent import MemoryIdempotentRepository
from routes.simple import simple
from routes.yaml import RouteConfigError, load_route_directory, load_routes
from tests.engine.support import mock

HERE = Path(__file__).parent


def python_twin() -> RouteBuilder:
    builder = RouteBuilder()
    (
        builder.route_configuration("rejections")
        .on_exception(KeyError, LookupError, handled=True)
        .set_body(simple("rejected: ${exception.message}"))
        .end()
        .on_exception(
            TimeoutError, redelivery=RedeliveryPolicy(2, redelivery_delay=0.25), log_level="ERROR"
        )
    )
    (
        builder.from_("direct:orders")
        .route_id("orders")
        .route_configuration_id("rejections")
        .error_handler(
            dead_letter_channel(
                "mock:dlq",
                RedeliveryPolicy(
                    3,
                    0.5,
                    use_exponential_backoff=True,
                    backoff_multiplier=2,
                    maximum_redelivery_delay=4,
                    jitter=True,
                ),
                dead_letter_handle_new_exception=False,
            )
        )
        .set_header("kind", simple("${body.kind}"))
        .process("validate")
        .idempotent_consumer(header("orderId"), "seen")
        .filter(simple("${body.amount} > 0"))
        .choice()
        .when(simple("${header.kind} == 'urgent'"))
        .to("mock:urgent")
        .otherwise()
        .to("mock:normal")
        .to("mock:audit")
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
    assert from_yaml.route_configurations == from_python.route_configurations
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
            "route 'r1': from.steps[0].too: unknown step 'too'; did you mean 'to'?",
        ),
        (
            "- route:\n    id: r2\n    from: {uri: 'direct:a', steps: [{to: 'mock:x', log: hi}]}\n",
            "route 'r2': from.steps[0]: a step is a map of one key, the EIP's name",
        ),
        ("- route:\n    id: r3\n    from: {steps: []}\n", "route 'r3': from.uri: is required"),
        (
            "- onException: {exception: [no.such.Error]}\n",
            "entry [0]: onException: no exception class 'no.such.Error': give its Python path",
        ),
        (
            "- route:\n    id: r5\n    from:\n      uri: direct:a\n"
            "      steps: [{filter: {simple: '${headr.a} == 1'}}]\n",
            "route 'r5': from.steps[0].filter: unknown function 'headr.a'",
        ),
        ("- route: {id: r6\n", "cannot read YAML"),
        ("route: {}\n", "expected a list of entries"),
        (
            "- route:\n    id: r7\n    from: {uri: 'direct:a'}\n"
            "    errorHandler: {deadLetterChannel: {deadLetterUri: 'mock:d',"
            " redeliveryPolicy: {maximumRedeliveries: many}}}\n",
            "route 'r7': errorHandler.deadLetterChannel.redeliveryPolicy.maximumRedeliveries:"
            " must be a whole number (got 'many')",
        ),
        (
            "- route:\n    id: r8\n"
            "    from: {uri: 'direct:a', steps: [{set-body: {constant: 1}}]}\n",
            "route 'r8': from.steps[0].set-body: unknown step 'set-body'; write 'setBody':"
            " Camel 4 keys are camelCase",
        ),
        (
            "- route:\n    id: r9\n    from:\n      uri: direct:a\n"
            "      steps: [{setBody: {simple: {expression: x, resultTyp: int}}}]\n",
            "route 'r9': from.steps[0].setBody.simple.resultTyp: unknown key 'resultTyp';"
            " did you mean 'resultType'?",
        ),
        (
            "- route:\n    id: r10\n    from: {uri: 'direct:a', steps: [{wireTap: 'mock:x'}]}\n",
            "route 'r10': from.steps[0].wireTap: takes a map of its options, not 'mock:x':"
            " wireTap: {uri: ...}",
        ),
        (
            "- route:\n    id: r11\n    from: {uri: 'direct:a', steps: [{loadBalance: {}}]}\n",
            "route 'r11': from.steps[0].loadBalance: Camel's loadBalance EIP is not supported",
        ),
        (
            "- from: {uri: 'direct:a', steps: [{filter: {jsonpath: '$.a'}}]}\n",
            "entry [0]: from.steps[0].filter: the jsonpath language is not supported here",
        ),
        (
            "- from: {uri: '{{inbox}}'}\n",
            "entry [0]: from.uri: the property 'inbox' of the placeholder {{inbox}} is not set",
        ),
        (
            "- route:\n    id: r14\n    from: {uri: 'direct:a'}\n"
            "    routeConfigurationId: shared\n    onException: []\n",
            "route 'r14': onException: unknown key 'onException'",
        ),
        (
            "- route:\n    id: r15\n    from:\n      uri: direct:a\n"
            "      steps: [{onException: {exception: [builtins.KeyError]}}]\n",
            "route 'r15': from.steps[0].onException: onException is no step: give it in a"
            " routeConfiguration",
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


def test_a_mistake_quoting_a_uri_does_not_show_its_credentials(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "- from:\n    uri: direct:a\n    steps: [{wireTap: 'http://payer:s3cret@127.0.0.1:9/x'}]\n"
    )
    with pytest.raises(RouteConfigError) as raised:
        load_routes(path)
    assert "s3cret" not in str(raised.value)
    assert "http://***@127.0.0.1:9/x" in str(raised.value)


def test_every_mistake_of_a_file_is_listed(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "- route:\n"
        "    id: first\n"
        "    from:\n"
        "      uri: direct:a\n"
        "      steps:\n"
        "        - setBdy: {constant: 1}\n"
        "        - to: {uri: 'mock:x', params: {a: 1}}\n"
        "        - log: {message: hi, loggingLevel: LOUD}\n"
        "- from:\n"
        "    uri: direct:b\n"
        "    steps: [{split: {simple: '${body}', parallelProcessing: maybe}}]\n"
    )
    with pytest.raises(RouteConfigError) as raised:
        load_routes(path)
    assert str(raised.value).splitlines() == [
        f"{path}: 4 problems:",
        "  route 'first': from.steps[0].setBdy: unknown step 'setBdy'; did you mean 'setBody'?",
        "  route 'first': from.steps[1].to.params: unknown key 'params';"
        " did you mean 'parameters'?",
        "  route 'first': from.steps[2].log.loggingLevel: must be one of 'TRACE', 'DEBUG',"
        " 'INFO', 'WARN', 'ERROR' or 'OFF' (got 'LOUD')",
        "  entry [1]: from.steps[0].split.parallelProcessing: must be true or false (got 'maybe')",
    ]
