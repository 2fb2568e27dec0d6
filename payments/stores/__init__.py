"""The two implementations of ``payments.domain.store.OrderStore`` and of
``payments.domain.files.FileStore``: MongoDB and embedded SQLite."""

from config.settings import Settings
from payments.domain.files import FileStore
from payments.domain.store import OrderIdTaken, OrderStore
from payments.stores.files_mongo import MongoFileStore
from payments.stores.files_sqlite import SqliteFileStore
from payments.stores.mongo import MongoOrderStore
from payments.stores.sqlite import SqliteOrderStore

__all__ = [
    "MongoFileStore",
    "MongoOrderStore",
    "OrderIdTaken",
    "SqliteFileStore",
    "SqliteOrderStore",
    "file_store_for",
    "store_for",
]


def store_for(settings: Settings) -> OrderStore:
    """The store the settings name: ``MONGO_URI``'s, else the SQLite file of ``STORE_PATH``."""
    if settings.mongo_uri:
        return MongoOrderStore(settings.mongo_uri, database=settings.mongo_database)
    return SqliteOrderStore(settings.store_path)


def file_store_for(settings: Settings) -> FileStore:
    """The payment files beside the orders: in ``MONGO_URI``'s database, else in
    ``STORE_PATH``'s file."""
    if settings.mongo_uri:
        return MongoFileStore(settings.mongo_uri, database=settings.mongo_database)
    return SqliteFileStore(settings.store_path)
