"""The steps of a route definition where they are: nested in which blocks, under which
conditions, sending to which endpoints. For whoever reads a loaded route model rather
than runs it: checks of a flow before it starts, documents derived from it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from routes.definition import RouteDefinition
from routes.describe import label
from routes.steps import (
    BatchStep,
    ChoiceStep,
    DoTryStep,
    EnrichStep,
    FilterStep,
    RecipientListStep,
    StepDefinition,
    ToDynamicStep,
    ToStep,
    WireTapStep,
)


@dataclass(frozen=True)
class Placed:
    """A step where it is: ``at`` its index in each enclosing list of steps (``at[0]``
    in the route's own), ``under`` the conditions of its enclosing blocks, outermost
    first (a filter's or a when's predicate as written, else the block's name)."""

    route: RouteDefinition
    step: StepDefinition
    at: tuple[int, ...]
    under: tuple[str, ...]

    @property
    def unconditional(self) -> bool:
        """A step of the route itself, run by every exchange that gets this far."""
        return not self.under

    def before(self, other: Placed) -> bool:
        """Whether this step of the route itself runs before ``other``."""
        return self.route is other.route and self.unconditional and self.at[0] < other.at[0]

    def follows(self, other: Placed) -> bool:
        """Whether this step runs after ``other`` whenever ``other`` runs: later in the
        same block, or in a block that holds it."""
        depth = len(self.at) - 1
        return (
            self.route is other.route
            and len(other.at) > depth
            and self.at[:depth] == other.at[:depth]
            and self.at[depth] > other.at[depth]
            and other.under[: len(self.under)] == self.under
        )


def walk(route: RouteDefinition, steps: Iterable[StepDefinition] | None = None) -> Iterator[Placed]:
    """Every step of ``route`` (or ``steps`` of it: an onException's), each block's
    steps right after the block."""
    return _walk(route, route.steps if steps is None else steps, (), ())


def targets(step: StepDefinition) -> list[str]:
    """The endpoints a step sends to, as written (a dynamic one as its expression)."""
    match step:
        case ToStep(uris=uris):
            return list(uris)
        case WireTapStep(uri=uri):
            return [uri]
        case BatchStep(uri=str(uri)):
            return [uri]
        case ToDynamicStep(uri=expression) | EnrichStep(expression=expression):
            return [label(expression).strip("'\"")]
        case RecipientListStep(expression=expression):
            return [label(expression).strip("'\"")]
    return []


def _walk(
    route: RouteDefinition,
    steps: Iterable[StepDefinition],
    at: tuple[int, ...],
    under: tuple[str, ...],
) -> Iterator[Placed]:
    for index, step in enumerate(steps):
        here = (*at, index)
        yield Placed(route, step, here, under)
        for condition, nested in _blocks(step):
            yield from _walk(route, nested, here, (*under, condition))


def _blocks(step: StepDefinition) -> Iterator[tuple[str, list[StepDefinition]]]:
    """The lists of steps a step holds, each with what it runs under."""
    match step:
        case FilterStep(predicate=predicate, steps=steps):
            yield label(predicate), steps
        case ChoiceStep(whens=whens, otherwise=otherwise):
            for when in whens:
                yield label(when.predicate), when.steps
            if otherwise is not None:
                yield "otherwise", otherwise
        case DoTryStep(steps=steps, catches=catches, finally_steps=finally_steps):
            yield "doTry", steps
            for catch in catches:
                yield "doCatch", catch.steps
            if finally_steps is not None:
                yield "doFinally", finally_steps
        case _:
            nested = getattr(step, "steps", None)
            if isinstance(nested, list):
                yield type(step).__name__.removesuffix("Step").lower(), nested
