"""What the MongoDB store's listings and counts read, kept so that their cost does not
grow with the number of orders: FerretDB sorts, limits and counts by fetching every
matching document, and serves from an index only an equality filter.

Every batch write carries one *slice*, stamped with the second it is written in: the
counts it changes (per client and status) and the list entries it adds — an order
created goes on its client's list and on the list of all orders; an order ended on
the lists of its status, its client's and everyone's. A slice goes in the same
insert as the revisions it describes, and those note its second (``listed``), so a
cursor can find an order's place on its list. A revision the store refused (a taken
key, a lost compare-and-set) leaves its entry behind as a phantom, which readers skip
(they read every listed order anyway, and keep one only where its list is still true
of it), and a second slice takes its counts back out.

About every second a *fold* gathers the slices older than ``GRACE`` (so that none is
still on its way) into one ``page:<list>:<second>`` per list and second, each
pointing to the list's page before it, and commits a ``fold:<n>`` document with every
count and each list's newest page. A reader combines the newest fold with the slices
after it: a bounded number of documents, whatever the number of orders. Folds are
taken in turn: ``lock:<n>`` (with the cutoff) is the one folder's; one that dies
leaves it to another after ``LEASE``, which folds the same slices to the same pages.
Lists are newest first by the second an order joined them, then by creation.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError

from components.mongodb.bulk import insert_unordered
from components.mongodb.client_pool import Collection, Document
from payments.domain.model import OrderStatus, PaymentOrder
from payments.domain.store import Move
from payments.domain.transitions import store_time

KIND = "kind"
LISTED = "listed"  # on a revision: the second of the slice that put it on its lists
GRACE = timedelta(seconds=10)  # longer than a write may take to land (socket timeout)
LEASE = timedelta(seconds=30)
ALL = "*"  # the list of every client's orders

# An entry: the second it joined its list, when its order was created (ms), the order's
# id, and when it joined (ms; for a status list, the time of the move to it).
Entry = tuple[int, int, str, int]
Counts = dict[tuple[str, str], int]  # (client, status) -> orders


def millis(at: datetime) -> int:
    return int(store_time(at).timestamp() * 1000)


def second_of(at: datetime) -> int:
    return int(at.timestamp())


def list_name(client_id: str | None, status: OrderStatus | None = None) -> str:
    """``shop-a``, ``*``, ``shop-a:EXECUTED``, ``*:EXECUTED``: client ids hold no
    colon (``payments.api.clients``)."""
    owner = ALL if client_id is None else client_id
    return owner if status is None else f"{owner}:{status.value}"


@dataclass
class SliceBuilder:
    """The slice of one batch write: its counts and its entries."""

    second: int
    counts: Counts = field(default_factory=lambda: defaultdict(int))
    entries: list[tuple[str, Entry]] = field(default_factory=list)

    def created(self, order: PaymentOrder) -> None:
        self.counts[order.client_id, OrderStatus.PENDING.value] += 1
        created = millis(order.created_at)
        entry = (self.second, created, order.id, created)
        self.entries += [(order.client_id, entry), (ALL, entry)]

    def moved(self, move: Move, sign: int = 1) -> None:
        ref, first, last = move.order, move.changes[0].expected, move.changes[-1].target
        self.counts[ref.client_id, first.value] -= sign
        self.counts[ref.client_id, last.value] += sign
        if last.terminal and sign > 0:
            entry = (self.second, millis(ref.created_at), ref.order_id, millis(move.at))
            self.entries += [
                (list_name(ref.client_id, last), entry),
                (list_name(None, last), entry),
            ]

    def not_created(self, order: PaymentOrder) -> None:
        self.counts[order.client_id, OrderStatus.PENDING.value] -= 1

    def document(self) -> Document:
        return {
            "_id": f"slice:{uuid.uuid4().hex}",
            KIND: "slice",
            "second": self.second,
            "counts": _counts_field(self.counts),
            "entries": [{"l": name, **_entry_field(entry)} for name, entry in self.entries],
        }

    def __bool__(self) -> bool:
        return any(self.counts.values()) or bool(self.entries)


@dataclass
class _State:
    """The newest fold and the slices after it: what every reader starts from."""

    fold: Document
    slices: list[Document]

    def counts(self) -> Counts:
        counts: Counts = defaultdict(int)
        for document in (self.fold, *self.slices):
            for item in document["counts"]:
                counts[item["c"], item["s"]] += item["n"]
        return counts

    def recent(self, name: str) -> list[Entry]:
        """The list's entries not folded yet, newest first."""
        return sorted(_listed(self.slices, name), reverse=True)

    def head(self, name: str) -> int:
        """The second of the list's newest page; 0 for none."""
        return _heads(self.fold).get(name, 0)


_EMPTY_FOLD: Document = {"n": 0, "second": 0, "counts": [], "heads": []}


class Summary:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection

    async def state(self) -> _State:
        folds, slices = await asyncio.gather(self._all("fold"), self._all("slice"))
        fold = max(folds, key=lambda document: document["n"], default=_EMPTY_FOLD)
        return _State(fold, [s for s in slices if s["second"] >= fold["second"]])

    async def _all(self, kind: str) -> list[Document]:
        return await self.collection.find({KIND: kind}).to_list()

    async def counts(self, client_id: str | None = None) -> dict[OrderStatus, int]:
        """Orders in each status now, of one client or of all."""
        totals: dict[OrderStatus, int] = defaultdict(int)
        for (client, status), n in (await self.state()).counts().items():
            if client_id in (None, client):
                totals[OrderStatus(status)] += n
        return {status: n for status, n in totals.items() if n}

    async def entries(self, name: str, after: tuple[int, str] | None) -> AsyncIterator[Entry]:
        """The list's entries newest first; with ``after`` (the second an order joined
        the list, and its id), those after it (none if it is not on the list)."""
        state = await self.state()
        recent, second = state.recent(name), state.head(name)
        if after is not None:
            joined, order_id = after
            if joined < state.fold["second"]:  # folded: go on from its page
                page = await self._page(name, joined)
                recent = [] if page is None else _entries(page)
                second = 0 if page is None else page["prev"]
            ids = [entry[2] for entry in recent]
            if order_id not in ids:
                return
            recent = recent[ids.index(order_id) + 1 :]
        for entry in recent:
            yield entry
        while second:
            page = await self._page(name, second)
            if page is None:  # a page of the fold that wrote the head is not committed yet
                return
            for entry in _entries(page):
                yield entry
            second = page["prev"]

    async def _seconds(self, seconds: range) -> list[Document]:
        found = await asyncio.gather(
            *(
                self.collection.find({KIND: "slice", "second": second}).to_list()
                for second in seconds
            )
        )
        return [slice_ for slices in found for slice_ in slices]

    async def _page(self, name: str, second: int) -> Document | None:
        return await self.collection.find_one({"_id": f"page:{name}:{second}"})

    async def fold(self, now: datetime) -> bool:
        """Fold the slices older than ``GRACE``, if no one else is: True when it did."""
        base = max(await self._all("fold"), key=lambda fold: fold["n"], default=_EMPTY_FOLD)
        number = base["n"] + 1
        cutoff = await self._lock(number, now)
        if cutoff is None or cutoff <= base["second"]:
            return False
        # Only the seconds it folds, once each (not every slice of the grace each time).
        # A fold after a long pause reads all of them, and those older than the base too.
        seconds = range(base["second"], cutoff) if cutoff - base["second"] <= 60 else None
        slices = await (self._all("slice") if seconds is None else self._seconds(seconds))
        due = [s for s in slices if base["second"] <= s["second"] < cutoff]
        counts = _State({**base, "second": cutoff}, due).counts()
        heads = _heads(base)
        await self._insert(list(_pages(due, heads)))
        committed = {
            "_id": f"fold:{number}",
            KIND: "fold",
            "n": number,
            "second": cutoff,
            "counts": _counts_field(counts),
            "heads": [{"l": name, "s": second} for name, second in sorted(heads.items())],
        }
        if await self._insert([committed]):
            return False  # someone who took over the lease committed it first
        for second in {s["second"] for s in slices if s["second"] < cutoff}:
            await self.collection.delete_many({KIND: "slice", "second": second})
        await self.collection.delete_many({KIND: "fold", "n": number - 2})
        await self.collection.delete_many({KIND: "lock", "n": number - 1})
        return True

    async def _lock(self, number: int, now: datetime) -> int | None:
        """The cutoff of fold ``number`` if this folder may make it: a new lock's, or
        that of a lock whose folder let its lease lapse."""
        cutoff = second_of(now - GRACE)
        lock: Document = {"_id": f"lock:{number}", KIND: "lock", "n": number, "cutoff": cutoff}
        lock["at"] = store_time(now)
        try:
            await self.collection.insert_one(lock)
        except DuplicateKeyError:
            held = await self.collection.find_one({"_id": lock["_id"]})
            if held is None or held["at"] > store_time(now) - LEASE:
                return None
            cutoff = int(held["cutoff"])
        return cutoff

    async def _insert(self, documents: Sequence[Document]) -> set[int]:
        """The indexes of the documents refused as already there."""
        return set(await insert_unordered(self.collection, documents))


# FerretDB v1 stores no nested arrays: counts, entries and heads are arrays of small
# documents — a count ``{c: client, s: status, n: orders}``, an entry ``{s: second,
# c: created ms, i: order id, j: joined ms}`` (in a slice with ``l``, its list), a
# head ``{l: list, s: second}``.
def _counts_field(counts: Counts) -> list[Document]:
    return [{"c": client, "s": status, "n": n} for (client, status), n in counts.items() if n]


def _entry_field(entry: Entry) -> Document:
    second, created, order_id, joined = entry
    return {"s": second, "c": created, "i": order_id, "j": joined}


def _entry(item: Document) -> Entry:
    return item["s"], item["c"], item["i"], item["j"]


def _entries(page: Document) -> list[Entry]:
    return [_entry(item) for item in page["entries"]]


def _heads(fold: Document) -> dict[str, int]:
    return {head["l"]: head["s"] for head in fold["heads"]}


def _listed(slices: Iterable[Document], name: str) -> Iterator[Entry]:
    for document in slices:
        for item in document["entries"]:
            if item["l"] == name:
                yield _entry(item)


def _pages(slices: Sequence[Document], heads: dict[str, int]) -> Iterator[Document]:
    """One page per list and second, newest entry first, each pointing to the list's
    page before it; ``heads`` moves on to each list's newest."""
    names = sorted({item["l"] for document in slices for item in document["entries"]})
    for name in names:
        by_second: dict[int, set[Entry]] = defaultdict(set)
        for entry in _listed(slices, name):
            by_second[entry[0]].add(entry)
        for second in sorted(by_second):
            yield {
                "_id": f"page:{name}:{second}",
                KIND: "page",
                "prev": heads.get(name, 0),
                "entries": [
                    _entry_field(entry) for entry in sorted(by_second[second], reverse=True)
                ],
            }
            heads[name] = second
