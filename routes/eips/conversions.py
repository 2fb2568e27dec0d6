"""Converting a body, as Camel's type converters do for ``convertBodyTo`` and as its
``json`` data format does for ``marshal`` and ``unmarshal``. Types are named as Camel
names them (``java.lang.String``, ``String``, ``byte[]``, ``java.math.BigDecimal`` …)
or as Python does (``str``, ``bytes``, ``decimal.Decimal`` …)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from endpoints.json_codec import decode_json, encode_json

_TYPES: dict[str, type] = {
    "str": str,
    "string": str,
    "java.lang.string": str,
    "bytes": bytes,
    "byte[]": bytes,
    "int": int,
    "integer": int,
    "long": int,
    "java.lang.integer": int,
    "java.lang.long": int,
    "float": float,
    "double": float,
    "java.lang.double": float,
    "java.lang.float": float,
    "decimal": Decimal,
    "decimal.decimal": Decimal,
    "bigdecimal": Decimal,
    "java.math.bigdecimal": Decimal,
    "bool": bool,
    "boolean": bool,
    "java.lang.boolean": bool,
    "dict": dict,
    "map": dict,
    "java.util.map": dict,
    "list": list,
    "java.util.list": list,
}


class NoTypeConversion(ValueError):
    """Camel's NoTypeConversionAvailableException: the body cannot become that type."""


def type_named(name: str) -> type:
    """The Python type Camel's (or Python's) type name means; ValueError otherwise."""
    found = _TYPES.get(name.strip().casefold())
    if found is None:
        names = ", ".join(sorted({"String", "byte[]", "Integer", "Long", "Double", "BigDecimal"}))
        raise ValueError(f"no type {name!r} to convert to (accepted: {names}, Boolean, Map, List)")
    return found


def convert(value: Any, target: type, charset: str = "utf-8") -> Any:
    """``value`` as ``target``; NoTypeConversion when it cannot be one."""
    if value is None or (isinstance(value, target) and not (target is int and value is True)):
        return value
    try:
        return _convert(value, target, charset)
    except (ValueError, TypeError, InvalidOperation, UnicodeError) as error:
        raise NoTypeConversion(
            f"cannot convert a {type(value).__name__} to {target.__name__}: {error}"
        ) from None


def _convert(value: Any, target: type, charset: str) -> Any:
    text = value.decode(charset) if isinstance(value, bytes | bytearray) else value
    if target is str:
        return text if isinstance(text, str) else _text(text)
    if target is bytes:
        return (text if isinstance(text, str) else _text(text)).encode(charset)
    if target is bool:
        if isinstance(text, str) and text.strip().lower() in ("true", "false"):
            return text.strip().lower() == "true"
        raise ValueError(f"{text!r} is not true or false")
    if target in (int, float, Decimal):
        return target(text.strip() if isinstance(text, str) else text)
    if target in (dict, list):
        document = decode_json(text) if isinstance(text, str) else text
        if not isinstance(document, target):
            raise ValueError(f"it holds a {type(document).__name__}")
        return document
    raise ValueError(f"no converter to {target.__name__}")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict | list):
        return marshal_json(value)
    return str(value)


def marshal_json(body: Any) -> str:
    """The body as a JSON document's text (Camel's ``marshal: {json: {}}``)."""
    return encode_json(body).decode()


def unmarshal_json(body: Any) -> Any:
    """The JSON document the body holds (numbers with a fraction as Decimal)."""
    if isinstance(body, bytes | bytearray | str):
        try:
            return decode_json(body if isinstance(body, str) else bytes(body))
        except ValueError as error:
            raise NoTypeConversion(f"the body is no JSON document: {error}") from None
    if isinstance(body, dict | list):
        return body
    raise NoTypeConversion(f"cannot read JSON from a {type(body).__name__}")
