"""The read side of the payment API: one order, its history, a page of orders.

A client reads only the orders it created: the store query carries its id, and
another client's order answers 404 exactly as an unknown id does. The console reads
every client's orders through the same functions, with no client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.http import FieldError, ProblemError, path_param
from endpoints import headers
from endpoints.exchange import Exchange
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import OrderStore

_LIMIT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: int() takes "²" for no number
_PARAMETERS = frozenset({"status", "limit", "after"})


PAGE_LIMIT = 100  # orders in a page at most


def parse_limit(text: str, maximum: int) -> int | None:
    """A ``?limit=`` from 1 to ``maximum`` (at most 999), or None."""
    return int(text) if _LIMIT.fullmatch(text) and 1 <= int(text) <= maximum else None


def limit_problem(maximum: int) -> FieldError:
    return FieldError("limit", f"must be a whole number from 1 to {maximum}")


@dataclass(frozen=True)
class PageQuery:
    status: OrderStatus | None = None
    limit: int = 20
    after: str | None = None

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> PageQuery:
        """``?status=&limit=&after=``; a bad or unknown parameter is a 400 naming it."""
        errors: list[FieldError] = []
        status: OrderStatus | None = None
        if "status" in query:
            try:
                status = OrderStatus(query["status"].upper())
            except ValueError:
                errors.append(FieldError("status", f"must be one of {', '.join(OrderStatus)}"))
        limit = cls.limit
        if "limit" in query:
            if (parsed := parse_limit(query["limit"], PAGE_LIMIT)) is not None:
                limit = parsed
            else:
                errors.append(limit_problem(PAGE_LIMIT))
        unknown = sorted(query.keys() - _PARAMETERS)
        errors += [FieldError(name, "unknown query parameter") for name in unknown]
        if errors:
            raise ProblemError(400, "invalid query parameters", errors=errors)
        return cls(status, limit, query.get("after"))


async def find_order(store: OrderStore, order_id: str, client_id: str | None) -> PaymentOrder:
    order = await store.get(order_id, client_id=client_id)
    if order is None:
        raise ProblemError(404, f"no payment order {order_id}", title="Unknown payment order")
    return order


async def find_page(store: OrderStore, query: PageQuery, client_id: str | None) -> dict[str, Any]:
    """Newest first; ``next`` is the ``after`` of the next page, None on the last. An
    ``after`` that is no order's id (of this client) gives an empty page."""
    if query.after is not None and not _may_be_an_id(query.after):
        return {"items": [], "next": None}
    page = await store.list(query.status, query.limit + 1, query.after, client_id=client_id)
    items = list(page[: query.limit])
    return {"items": items, "next": items[-1].id if len(page) > query.limit else None}


def _may_be_an_id(text: str) -> bool:
    # isprintable: bytes that are not UTF-8 arrive as surrogates, which no store takes.
    return 1 <= len(text) <= 255 and text.isprintable()


def history_of(order: PaymentOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status,
        "history": [step.model_dump(mode="json", by_alias=True) for step in order.history],
    }


def client_of(exchange: Exchange) -> str:
    """The client the request was authenticated as (the service's access policy puts it
    on every API request, the anonymous client when the API runs open)."""
    client = exchange.headers.get(headers.HTTP_PRINCIPAL)
    if not isinstance(client, str):
        raise RuntimeError(f"no {headers.HTTP_PRINCIPAL} on the exchange: is the API guarded?")
    return client


class OrderQueries:
    """The processors of the API's read routes, for the authenticated client."""

    def __init__(self, store: OrderStore) -> None:
        self.store = store

    async def get(self, exchange: Exchange) -> None:
        order_id = exchange.headers[path_param("id")]
        exchange.body = await find_order(self.store, order_id, client_of(exchange))

    async def history(self, exchange: Exchange) -> None:
        order_id = exchange.headers[path_param("id")]
        exchange.body = history_of(await find_order(self.store, order_id, client_of(exchange)))

    async def list_orders(self, exchange: Exchange) -> None:
        query = PageQuery.parse(exchange.headers.get(headers.HTTP_QUERY) or {})
        exchange.body = await find_page(self.store, query, client_of(exchange))
