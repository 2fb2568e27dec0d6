"""The two implementations of ``payments.domain.store.OrderStore``: MongoDB and embedded SQLite."""

from config.settings import Settings
from payments.domain.store import OrderIdTaken, OrderStore
from payments.stores.mongo import MongoOrderStore
from payments.stores.sqlite import SqliteOrderStore

__all__ = ["MongoOrderStore", "OrderIdTaken", "SqliteOrderStore", "store_for"]


def store_for(settings: Settings) -> OrderStore:
    """The store the settings name: ``MONGO_URI``'s, else the SQLite file of ``STORE_PATH``."""
    if settings.mongo_uri:
        return MongoOrderStore(settings.mongo_uri, database=settings.mongo_database)
    return SqliteOrderStore(settings.store_path)
