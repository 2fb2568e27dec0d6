"""Endpoint URIs: ``scheme:path?option=value&...``, and hiding the credentials in them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

_USERINFO = re.compile(r"//[^/@?#\s]*@")
_SECRET_OPTION = re.compile(
    r"([?&][^=&\s]*(?:password|secret|token)[^=&\s]*=)[^&\s]*", re.IGNORECASE
)


def mask_credentials(text: str) -> str:
    """``text`` with the user info of every URI in it and the values of its password,
    secret and token options replaced by ``***``: the one mask for every place a URI can
    surface (diagrams, readiness, logs, failure headers, error messages)."""
    return _SECRET_OPTION.sub(r"\1***", _USERINFO.sub("//***@", text))


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
