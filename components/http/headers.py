"""Names of the exchange headers the ``http:`` component reads and writes, beyond the
engine-wide ``endpoints.headers.HTTP_*`` ones.

Every name here starts with ``http.``, a prefix of the engine's local headers
(``endpoints.headers.is_local``): request headers with it are dropped on the way in,
so a client can never set a response header or a path parameter.
"""

# Written by the consumer: ``http:/orders/{id}`` puts the ``id`` segment in ``http.path.id``.
PATH_PARAM_PREFIX = "http.path."

# Read by the consumer: ``http.response.Location`` becomes the response's Location header.
RESPONSE_HEADER_PREFIX = "http.response."

# Read by the producer: ``http.request.Idempotency-Key`` is sent as that request header.
REQUEST_HEADER_PREFIX = "http.request."


def path_param(name: str) -> str:
    """The header holding the path parameter ``name``."""
    return PATH_PARAM_PREFIX + name


def with_prefix(headers: dict[str, object], prefix: str) -> dict[str, str]:
    """The headers under ``prefix``, named without it, their values as text."""
    return {
        name[len(prefix) :]: str(value)
        for name, value in headers.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    }
