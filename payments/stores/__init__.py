"""The two implementations of ``payments.store.OrderStore``: MongoDB and embedded SQLite."""

from payments.store import OrderIdTaken
from payments.stores.mongo import MongoOrderStore
from payments.stores.sqlite import SqliteOrderStore

__all__ = ["MongoOrderStore", "OrderIdTaken", "SqliteOrderStore"]
