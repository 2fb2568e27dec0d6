"""A page of orders as the MongoDB store lists them: read from the summary's lists
(``mongo_summary``) newest first, from the cursor's place on its list, each order as its
revisions make it now and kept only where its list is still true of it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from components.mongodb.client_pool import Collection
from payments.domain.model import OrderStatus, PaymentOrder
from payments.stores.mongo_revisions import ORDER, merged
from payments.stores.mongo_summary import LISTED, Entry, Summary, list_name, millis


class Listing:
    def __init__(
        self,
        revisions: Collection,
        summary: Summary,
        read: Callable[[str], Awaitable[PaymentOrder | None]],
    ) -> None:
        """``read``: an order by id, as the store reads it."""
        self.revisions = revisions
        self.summary = summary
        self.read = read

    async def page(
        self, status: OrderStatus | None, size: int, after: str | None, client_id: str | None
    ) -> list[PaymentOrder]:
        """A list of the summary (the client's, or a status's), read from its newest entry
        on, each order as it is now. An order before EXECUTING is on no list of its
        status: those come from the client's own list, read until as many were found as
        the counts say there are."""
        listed = status is None or status.terminal
        name = list_name(client_id, status if listed else None)
        wanted: int | None = None
        if status is not None and not status.terminal:
            wanted = (await self.summary.counts(client_id)).get(status, 0)
        page: list[PaymentOrder] = []
        chunk: list[Entry] = []
        position = None if after is None else await self._position(after, status, client_id)
        if after is not None and position is None:
            return []
        async for entry in self.summary.entries(name, position):
            chunk.append(entry)
            if len(chunk) == size:
                page += await self._listed(chunk, status, page)
                chunk = []
                if len(page) >= min(size, wanted if wanted is not None else size):
                    break
        else:
            page += await self._listed(chunk, status, page)
        return page[:size]

    async def _position(
        self, after: str, status: OrderStatus | None, client_id: str | None
    ) -> tuple[int, str] | None:
        """Where the cursor's order is on the list: the second it joined it (its creation's
        revision; for a status list, the revision that ended it), and its id."""
        documents = await self.revisions.find({ORDER: after}).to_list()
        order = merged(documents)
        if order is None or client_id not in (None, order.client_id):
            return None
        version = order.version if status is not None and status.terminal else 0
        joined = [d.get(LISTED) for d in documents if d.get("version") == version]
        return (joined[0], after) if joined and joined[0] is not None else None

    async def _listed(
        self, entries: Sequence[Entry], status: OrderStatus | None, before: Sequence[PaymentOrder]
    ) -> Sequence[PaymentOrder]:
        """The orders of ``entries`` that are what their list says (phantoms of refused
        writes and orders since moved on are not), and not in ``before``."""
        orders = await asyncio.gather(*(self.read(order_id) for _, _, order_id, _ in entries))
        seen = {order.id for order in before}
        kept: list[PaymentOrder] = []
        for (_, _, _, joined), order in zip(entries, orders, strict=True):
            if order is None or order.id in seen:
                continue
            if status is None or (
                order.status is status
                and (not status.terminal or millis(order.updated_at) == joined)
            ):
                kept.append(order)
                seen.add(order.id)
        return kept
