"""Endpoint URIs: ``scheme:path?option=value&...``."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit


class InvalidUri(ValueError):
    pass


@dataclass(frozen=True)
class EndpointUri:
    scheme: str
    path: str
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, uri: str) -> EndpointUri:
        scheme, sep, rest = uri.partition(":")
        if not sep or not scheme or not scheme.replace("-", "").isalnum():
            raise InvalidUri(f"{uri!r} is not an endpoint URI (expected scheme:path?options)")
        path, _, query = rest.partition("?")
        if path.startswith("//"):  # http://host/path keeps its authority
            path = urlsplit(f"{scheme}:{path}")._replace(scheme="").geturl()
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError as error:
            raise InvalidUri(f"{uri!r}: malformed options ({error})") from None
        options: dict[str, str] = {}
        for key, value in pairs:
            if key in options:
                raise InvalidUri(f"{uri!r}: option {key!r} is given twice")
            options[key] = value
        return cls(scheme.lower(), path, options)
