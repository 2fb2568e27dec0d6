"""The payment flow's promises, checked on the routes a service loaded before any of
them starts: whatever an integrator edits, no order is lost or paid twice.

- **An order is stored before the API answers**: the route of ``POST /payment-orders``
  runs ``receiveOrder``, ``createOrders``, ``answerPlaced`` in this order.
- **A command is owed until it is sent**: ``advanceOrders``, then the send to
  ``{{payment.commands}}``, then (on Kafka) ``settleSentCommands``; a recovery sweep
  (``unfinishedOrders``) finds what a crash left owing, and a release
  (``releaseDueOrders``) the scheduled orders whose day came.
- **A payment is claimed before the bank is called**: the route of the commands runs
  ``readCommand``, ``claimPayments``, ``decidePayment``; the bank (a ``gateway:``
  endpoint) is called with ``to`` only where that decision is to pay (the filter or
  ``when`` on ``${exchangeProperty.paymentNext} == 'pay'``), after those three, and
  ``completePayments`` follows it in the same block.
- **The outcome is written before the event**: ``{{payment.executed}}`` is sent to only
  where the decision is ``publishExecuted``, ``{{payment.failed}}`` where it is
  ``publishFailed``: decisions made once the outcome is stored. A failed command is
  sent to ``{{payment.deadLetter}}`` before ``failOrder``; with in-process queues,
  ``settleEndedCommands`` comes after the bank and the events.

"Runs X" means as a step of the route itself, not inside a filter, choice or other
block that may skip it. A flow that breaks one refuses to start (``UnsafeFlow``),
naming each broken promise, its route and file.
"""

from __future__ import annotations

from collections.abc import Sequence

from endpoints.uri import mask_credentials
from payments.lifecycle.keys import NEXT, Next
from payments.service.flow import Topology
from routes.definition import RouteDefinition
from routes.expressions import Ref
from routes.steps import (
    BatchStep,
    EnrichStep,
    ProcessStep,
    RecipientListStep,
    StepDefinition,
    ToDynamicStep,
    ToStep,
    WireTapStep,
)
from routes.walk import Placed, targets, walk
from routes.yaml import RouteConfigError

GATEWAY = "gateway:"


class UnsafeFlow(RouteConfigError):
    """The loaded routes break a promise of the payment flow."""


def decided(step: Next) -> str:
    """The condition a step runs under where the execution decided ``step``."""
    return f"${{exchangeProperty.{NEXT}}} == '{step}'"


def check_flow(
    routes: Sequence[RouteDefinition], topology: Topology, ingest: bool, process: bool
) -> None:
    """UnsafeFlow naming every broken promise of the loaded ``routes``."""
    flow = _Flow(routes)
    if ingest:
        _stored_before_answered(flow)
        _owed_until_sent(flow, topology)
    if process:
        _claimed_before_paid(flow, topology)
        _written_before_published(flow, topology)
    if flow.problems:
        raise UnsafeFlow(
            "the payment flow would break its promises:\n  " + "\n  ".join(flow.problems)
        )


class _Flow:
    def __init__(self, routes: Sequence[RouteDefinition]) -> None:
        self.routes = routes
        self.steps = [placed for route in routes for placed in walk(route)]
        self.problems: list[str] = []

    def calling(self, bean: str) -> list[Placed]:
        return [p for p in self.steps if _bean(p.step) == bean]

    def sending(self, uri: str) -> list[Placed]:
        return [p for p in self.steps if any(_same(uri, target) for target in targets(p.step))]

    def from_(self, uri: str) -> list[RouteDefinition]:
        return [route for route in self.routes if _same(uri, route.from_uri)]

    def refuse(self, route: RouteDefinition, promise: str, reason: str) -> None:
        self.problems.append(f"{route.source}: route {route.route_id!r}: {promise}: {reason}")

    def missing(self, promise: str, what: str) -> None:
        self.problems.append(f"{promise}: no route {what}")

    def in_order(self, route: RouteDefinition, promise: str, beans: Sequence[str]) -> bool:
        """Whether ``route`` runs each of ``beans`` itself, in this order."""
        previous: Placed | None = None
        for index, bean in enumerate(beans):
            step = self.own(route, bean)
            if step is None:
                self.refuse(route, promise, f"it must run {bean} itself, outside any block")
                return False
            if previous is not None and not previous.before(step):
                self.refuse(route, promise, f"{beans[index - 1]} must come before {bean}")
                return False
            previous = step
        return True

    def own(self, route: RouteDefinition, bean: str) -> Placed | None:
        """The first step of ``route`` itself that calls ``bean``."""
        return next((p for p in self.calling(bean) if p.route is route and p.unconditional), None)


def _stored_before_answered(flow: _Flow) -> None:
    promise = "an order is stored before the API answers"
    routes = flow.from_("http:/payment-orders?method=POST")
    if not routes:
        flow.missing(promise, "places orders (from http:/payment-orders, method POST)")
    for route in routes:
        flow.in_order(route, promise, ("receiveOrder", "createOrders", "answerPlaced"))


def _owed_until_sent(flow: _Flow, topology: Topology) -> None:
    promise = "a command is owed until it is sent"
    advances = flow.calling("advanceOrders")
    if not advances:
        flow.missing(promise, "advances orders to their command (batch advanceOrders)")
    if not flow.calling("unfinishedOrders"):
        flow.missing(promise, "sweeps up what a crash left owing (process unfinishedOrders)")
    if not flow.calling("releaseDueOrders"):
        flow.missing(promise, "releases the orders whose day came (process releaseDueOrders)")
    settles = flow.calling("settleSentCommands")
    for advance in advances:
        route = advance.route
        if not flow.in_order(route, promise, ("advanceOrders",)):
            continue
        sent = [p for p in flow.sending(topology.commands) if p.route is route]
        own = next((p for p in sent if p.unconditional and advance.before(p)), None)
        if own is None:
            flow.refuse(route, promise, f"after advanceOrders it must send to {topology.commands}")
            continue
        settle = flow.own(route, "settleSentCommands")
        if topology.durable and (settle is None or not own.before(settle)):
            flow.refuse(route, promise, "settleSentCommands must follow the send, outside blocks")
    for settle in settles:
        sent = [p for p in flow.sending(topology.commands) if p.route is settle.route]
        if not any(p.before(settle) for p in sent):
            flow.refuse(settle.route, promise, f"{_described(settle)} before the command is sent")


def _claimed_before_paid(flow: _Flow, topology: Topology) -> None:
    promise = "a payment is claimed before the bank is called"
    claims = ("readCommand", "claimPayments", "decidePayment")
    commands = flow.from_(topology.commands_in)
    if not commands:
        flow.missing(promise, f"executes the commands (from {topology.commands_in})")
    for route in commands:
        flow.in_order(route, promise, claims)
    pay = decided(Next.PAY)
    for call in (p for p in flow.steps if any(t.startswith(GATEWAY) for t in targets(p.step))):
        route, what = call.route, _described(call)
        if not isinstance(call.step, ToStep):
            flow.refuse(route, promise, f"{what}: the bank is called with to, and only to")
            continue
        decision = flow.own(route, "decidePayment")
        claimed = flow.own(route, "claimPayments")
        if decision is None or claimed is None or not decision.before(call):
            flow.refuse(route, promise, f"{what} before claimPayments and decidePayment")
        elif pay not in call.under:
            flow.refuse(route, promise, f"{what} outside the block where {pay}")
        elif not any(p.follows(call) and pay in p.under for p in flow.calling("completePayments")):
            flow.refuse(route, promise, f"{what} is not followed by completePayments in its block")


def _written_before_published(flow: _Flow, topology: Topology) -> None:
    promise = "the outcome is written before the event"
    for uri, decision in (
        (topology.executed, Next.PUBLISH_EXECUTED),
        (topology.failed, Next.PUBLISH_FAILED),
    ):
        for send in flow.sending(uri):
            if decided(decision) not in send.under:
                condition = decided(decision)
                flow.refuse(
                    send.route, promise, f"{_described(send)} outside the block where {condition}"
                )
    fails = flow.calling("failOrder")
    if not fails:
        flow.missing(promise, "fails the orders whose retries ran out (process failOrder)")
    for fail in fails:
        letters = [p for p in flow.sending(topology.dead_letter) if p.route is fail.route]
        if not any(p.before(fail) for p in letters):
            flow.refuse(fail.route, promise, f"failOrder before the send to {topology.dead_letter}")
    for settle in flow.calling("settleEndedCommands"):
        ends = [
            p
            for p in flow.steps
            if p.route is settle.route
            and any(
                t.startswith(GATEWAY) or _same(topology.executed, t) or _same(topology.failed, t)
                for t in targets(p.step)
            )
        ]
        if not settle.unconditional or any(p.at[0] >= settle.at[0] for p in ends):
            flow.refuse(
                settle.route,
                promise,
                "settleEndedCommands must come last, after the bank and the events",
            )


def _bean(step: StepDefinition) -> str | None:
    match step:
        case ProcessStep(processor=Ref(name=name)) | BatchStep(processor=Ref(name=name)):
            return name
    return None


def _same(expected: str, uri: str) -> bool:
    """Whether ``uri`` addresses the endpoint of ``expected`` (scheme and path; of the
    options, only an HTTP route's method)."""
    want_address, _, want_query = expected.partition("?")
    address, _, query = uri.partition("?")
    if address != want_address:
        return False
    method = [option for option in want_query.split("&") if option.startswith("method=")]
    return all(option in query.split("&") for option in method)


def _described(placed: Placed) -> str:
    where = f" (under {', '.join(placed.under)})" if placed.under else ""
    return f"{_name(placed.step)}{where}"


def _name(step: StepDefinition) -> str:
    """The step as its route file writes it, without credentials."""
    bean = _bean(step)
    if bean is not None:
        return f"{'batch' if isinstance(step, BatchStep) else 'process'} {bean}"
    kind = _KINDS.get(type(step), "a step")
    return " ".join([kind, *(mask_credentials(target) for target in targets(step))])


_KINDS: dict[type[StepDefinition], str] = {
    ToStep: "to",
    WireTapStep: "wireTap",
    BatchStep: "batch to",
    ToDynamicStep: "toD",
    EnrichStep: "enrich",
    RecipientListStep: "recipientList",
}
