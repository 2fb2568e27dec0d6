"""Rough cost of the order write pattern on each store (``bench.limits.write_orders``).

Run: ``.venv/bin/python scripts/measure_store.py [--mongo-uri URI] [--orders 200]
[--concurrency 16] [--prefill 0]``. Without a MongoDB URI (option or ``MONGO_URI``)
only SQLite is measured. ``--prefill`` adds that many orders first, to show how the
cost grows with the collection. A figure to compare choices, not a benchmark.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
from pathlib import Path

from pymongo import AsyncMongoClient

from bench.limits import seconds_for_orders
from config import event_loop
from payments.domain.store import OrderStore
from payments.stores import MongoOrderStore, SqliteOrderStore

Stores = tuple[OrderStore, OrderStore]  # ingestion's and a worker's, on one database


async def _measure(name: str, stores: Stores, args: argparse.Namespace) -> None:
    for store in stores:
        await store.start()
    try:
        await seconds_for_orders(*stores, args.prefill, args.concurrency)
        for concurrency in (1, args.concurrency):
            seconds = await seconds_for_orders(*stores, args.orders, concurrency)
            print(
                f"{name:8} prefill={args.prefill:<6} concurrency={concurrency:<3} "
                f"{args.orders} orders in {seconds:6.2f}s: {args.orders / seconds:7.1f} orders/s, "
                f"{seconds * 1000 / args.orders:6.2f} ms per order"
            )
    finally:
        for store in stores:
            await store.stop()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.sqlite3"
        await _measure("sqlite", (SqliteOrderStore(path), SqliteOrderStore(path)), args)
    if args.mongo_uri:
        database = f"measure_{uuid.uuid4().hex[:8]}"
        try:
            uri = args.mongo_uri
            stores = MongoOrderStore(uri, database), MongoOrderStore(uri, database)
            await _measure("mongodb", stores, args)
        finally:
            client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(args.mongo_uri)
            await client.drop_database(database)
            await client.close()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI"))
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--prefill", type=int, default=0)
    return parser.parse_args()


if __name__ == "__main__":
    event_loop.run(main(_arguments()))
