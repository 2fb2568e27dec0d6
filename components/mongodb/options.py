"""Options of ``mongodb:<database>.<collection>?operation=...&connection=...``."""

from __future__ import annotations

from typing import Literal

from endpoints.component import EndpointOptions

OperationName = Literal["insert", "insertMany", "findById", "findOneByQuery", "update", "upsert"]


class MongoOptions(EndpointOptions):
    operation: OperationName
    # A connection string registered on the component by name; none means its default.
    connection: str | None = None
