"""The payment flow's promises hold whatever an integrator edits: the shipped flow
passes, and each way of breaking a promise is refused before anything starts, naming
the promise, the route and the file (``payments.service.safety``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.settings import SHIPPED_ROUTES, Settings
from payments.domain.topics import TopicNames
from payments.service.flow import Topology, load_flow
from payments.service.safety import UnsafeFlow, check_flow
from routes.dsl import RouteBuilder
from routes.yaml import RouteConfigError, settings_properties

KAFKA = Topology.kafka(TopicNames("t."), "gateway:bank?url=http://u:secret@127.0.0.1:9", "g", 8)
EMBEDDED = Topology.embedded("gateway:simulated", 8)
FOLDERS = ["ingest", "process", "reconcile"]


def check(routes: Path, topology: Topology = KAFKA, folders: list[str] = FOLDERS) -> None:
    builder = RouteBuilder()
    properties = settings_properties(Settings(reconcile_period=60).model_dump())
    load_flow(routes, folders, builder, properties | topology.properties())
    check_flow(builder.routes, topology, "ingest" in folders, "process" in folders)


@pytest.fixture
def routes(tmp_path: Path) -> Path:
    """A copy of the shipped flow for a test to edit."""
    shutil.copytree(SHIPPED_ROUTES, tmp_path / "routes", ignore=shutil.ignore_patterns("examples"))
    return tmp_path / "routes"


def edit(file: Path, old: str, new: str) -> None:
    text = file.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    file.write_text(text.replace(old, new))


@pytest.mark.parametrize("topology", [KAFKA, EMBEDDED], ids=["kafka", "embedded"])
@pytest.mark.parametrize("folders", [FOLDERS, ["ingest"], ["process"]], ids=str)
def test_the_shipped_flow_keeps_every_promise(
    routes: Path, topology: Topology, folders: list[str]
) -> None:
    check(routes, topology, folders)


CREATE = "        - batch: {process: createOrders, "
ANSWER = "        - process: {ref: answerPlaced}"
SEND_COMMAND = '        - to: "{{payment.commands}}"\n'
PAY = '              - to: "{{payment.gateway}}"\n'
COMPLETE = "              - batch: {process: completePayments, "

RELEASE_STEPS = """\
        - process: {ref: releaseDueOrders}
        - loop:
            doWhile: true
            simple: "${body.size} > 0"
            steps:
              - split:
                  simple: "${body}"
                  parallelProcessing: true
                  steps:
                    - to: direct:advance-payment-order
              - process: {ref: releaseDueOrders}
"""

# (file, old text, new text, what the refusal says)
BREAKS = {
    "answered before stored": (
        "ingest/api.yaml",
        "        - process: {ref: receiveOrder}\n",
        "        - process: {ref: receiveOrder}\n" + ANSWER + "\n",
        "route 'create-payment-order': an order is stored before the API answers: "
        "createOrders must come before answerPlaced",
    ),
    "not stored": (
        "ingest/api.yaml",
        CREATE,
        "        - batch: {disabled: true, process: createOrders, ",
        "it must run createOrders itself, outside any block",
    ),
    "stored only sometimes": (
        "ingest/api.yaml",
        CREATE,
        '        - filter: {simple: "${header.x}"}\n' + CREATE,  # the rest is the filter's
        "it must run createOrders itself, outside any block",
    ),
    "no route places orders": (
        "ingest/api.yaml",
        "      uri: http:/payment-orders\n      parameters: {method: POST",
        "      uri: http:/orders\n      parameters: {method: POST",
        "an order is stored before the API answers: no route places orders",
    ),
    "command never sent": (
        "ingest/lifecycle.yaml",
        SEND_COMMAND,
        "        - to: log:nowhere\n",
        "after advanceOrders it must send to kafka:t.payment.execute",
    ),
    "settled before sent": (
        "ingest/lifecycle.yaml",
        SEND_COMMAND,
        "        - batch: {process: settleSentCommands}\n" + SEND_COMMAND,
        "batch settleSentCommands before the command is sent",
    ),
    "no recovery sweep": (
        "ingest/lifecycle.yaml",
        "        - process: {ref: unfinishedOrders}\n",
        "        - log: resting\n",
        "no route sweeps up what a crash left owing",
    ),
    "no release of scheduled orders": (
        "ingest/lifecycle.yaml",
        RELEASE_STEPS,
        "        - log: resting\n",
        "no route releases the orders whose day came",
    ),
    "paid without the decision to pay": (
        "process/execution.yaml",
        "        - filter:\n            simple: \"${exchangeProperty.paymentNext} == 'pay'\"",
        "        - filter:\n            simple: \"${exchangeProperty.paymentNext} != 'done'\"",
        "a payment is claimed before the bank is called: to gateway:bank?url=http://***@",
    ),
    "paid before the claim": (
        "process/execution.yaml",
        "        - process: {ref: readCommand}\n",
        '        - process: {ref: readCommand}\n        - to: "{{payment.gateway}}"\n',
        "before claimPayments and decidePayment",
    ),
    "payment not recorded": (
        "process/execution.yaml",
        COMPLETE,
        "              - batch: {disabled: true, process: completePayments, ",
        "is not followed by completePayments in its block",
    ),
    "bank called on the side": (
        "process/execution.yaml",
        PAY,
        '              - wireTap: {uri: "{{payment.gateway}}"}\n' + PAY,
        "wireTap gateway:bank?url=http://***@127.0.0.1:9 (under ${exchangeProperty.paymentNext}"
        " == 'pay'): the bank is called with to, and only to",
    ),
    "event before the outcome": (
        "process/execution.yaml",
        PAY,
        PAY + '              - to: "{{payment.executed}}"\n',
        "the outcome is written before the event: to kafka:t.payment.executed (under "
        "${exchangeProperty.paymentNext} == 'pay') outside the block where "
        "${exchangeProperty.paymentNext} == 'publishExecuted'",
    ),
    "failed before dead-lettered": (
        "process/execution.yaml",
        '        - to: "{{payment.deadLetter}}"\n        - process: {ref: failOrder}\n',
        '        - process: {ref: failOrder}\n        - to: "{{payment.deadLetter}}"\n',
        "failOrder before the send to kafka:t.payment.execute.DLT",
    ),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_a_flow_that_breaks_a_promise_refuses_to_start(routes: Path, name: str) -> None:
    file, old, new, said = BREAKS[name]
    edit(routes / file, old, new)
    with pytest.raises(UnsafeFlow) as refused:
        check(routes)
    message = str(refused.value)
    assert said in message
    assert "secret" not in message
    assert f"{routes / file}: route" in message or ": no route " in message


def test_in_process_queues_settle_a_command_only_once_its_order_ended(routes: Path) -> None:
    settle = (
        "        - batch:\n            process: settleEndedCommands\n"
        '            size: "{{payment.batch.size}}"\n'
        '            timeout: "{{payment.batch.timeout}}"\n'
        '            disabled: "{{payment.commands.durable}}"\n'
    )
    execution = routes / "process" / "execution.yaml"
    text = execution.read_text()
    assert text.count(settle) == 2
    execution.write_text(
        text.replace(settle, "", 1).replace(
            "        - process: {ref: decidePayment}\n",
            "        - process: {ref: decidePayment}\n" + settle,
            1,
        )
    )
    check(routes, KAFKA)  # with Kafka it is disabled: the command was settled once sent
    with pytest.raises(UnsafeFlow, match="settleEndedCommands must come last"):
        check(routes, EMBEDDED)


def test_every_broken_promise_is_named_at_once(routes: Path) -> None:
    for name in ("answered before stored", "no recovery sweep", "failed before dead-lettered"):
        file, old, new, _ = BREAKS[name]
        edit(routes / file, old, new)
    with pytest.raises(UnsafeFlow) as refused:
        check(routes)
    assert str(refused.value).count("\n  ") == 3


def test_a_missing_service_folder_is_named(routes: Path) -> None:
    shutil.rmtree(routes / "process")
    with pytest.raises(RouteConfigError, match=r"process: no route files.*config/routes/process"):
        check(routes)
