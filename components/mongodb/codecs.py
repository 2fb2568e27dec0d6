"""Money stays ``Decimal`` in MongoDB, never float: a BSON codec for ``decimal.Decimal``.

BSON's Decimal128 would be the natural type, but FerretDB v1.24 does not implement
it (FerretDB issue #66): the server panics on the value and drops the connection.
So a Decimal is stored as its exact text (``str(value)`` keeps exponent and
trailing zeros) in a Binary of a user-defined subtype, which tells the decoder to
give a Decimal back. It works unchanged on MongoDB proper. Equality filters on
amounts match (they are encoded the same way); range queries and ``$inc`` do not.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bson.binary import Binary
from bson.codec_options import TypeCodec, TypeRegistry

# BSON reserves binary subtypes 0x80-0xFF for user-defined data.
DECIMAL_SUBTYPE = 0x80


class DecimalCodec(TypeCodec):
    python_type = Decimal
    bson_type = Binary

    def transform_python(self, value: Any) -> Binary:
        return Binary(str(value).encode("ascii"), DECIMAL_SUBTYPE)

    def transform_bson(self, value: Any) -> Any:
        if value.subtype == DECIMAL_SUBTYPE:
            return Decimal(bytes(value).decode("ascii"))
        return value


DECIMAL_TYPES = TypeRegistry([DecimalCodec()])
