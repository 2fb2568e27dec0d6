"""``mongodb:<database>.<collection>?operation=...`` on pymongo's native async client."""

from components.mongodb import connect_guard
from components.mongodb.component import MongoComponent
from components.mongodb.idempotent import MongoIdempotentRepository

__all__ = ["MongoComponent", "MongoIdempotentRepository"]

connect_guard.install()
