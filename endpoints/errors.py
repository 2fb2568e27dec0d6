"""Errors raised while resolving endpoints, worded for the person who wrote the route."""

from __future__ import annotations


class EndpointError(Exception):
    """A URI names an unknown scheme, a bad option or an unusable path."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"endpoint {uri!r}: {reason}")
        self.uri = uri
        self.reason = reason
