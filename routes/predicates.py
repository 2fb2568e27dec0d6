"""A predicate is an expression read as true or false the way Camel reads one
(``routes.simple.predicate_value``: ``ObjectHelper.evaluateValuePredicate``): a bool as
it is, the text ``"false"`` or blank text false, an empty collection false, None false,
anything else true — so the text ``"false"`` does not pass a filter."""

from __future__ import annotations

from endpoints import headers
from endpoints.exchange import Exchange
from routes.expressions import Expression
from routes.pipeline import call
from routes.simple import Simple, predicate_value

__all__ = ["holds", "holds_with", "predicate_value"]


async def holds(predicate: Expression, exchange: Exchange) -> bool:
    """Whether ``predicate`` holds for ``exchange``."""
    if isinstance(predicate, Simple):
        return predicate.matches(exchange)
    return predicate_value(await call(predicate, exchange))


async def holds_with(predicate: Expression, exchange: Exchange, error: BaseException) -> bool:
    """Whether ``predicate`` holds for ``exchange`` as it handles ``error`` (an
    ``onWhen``: ``${exception}`` is that error)."""
    exchange.properties[headers.EXCEPTION_CAUGHT] = error
    return await holds(predicate, exchange)
