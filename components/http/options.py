"""Options of ``http:/path`` (a route served by the component's server) and of
``http://host:port/path`` (a call to another service).

Both kinds share one model, as the component has one; each kind rejects the
options of the other, so ``http:/orders?timeout=5`` fails at start.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from endpoints.component import EndpointOptions

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BodyFormat = Literal["json", "text", "bytes", "file"]


class HttpOptions(EndpointOptions):
    # Served route: None answers every method. Call: None means POST with a body, else GET.
    method: HttpMethod | None = None
    # Served route only: how the request body becomes the exchange body.
    body_format: BodyFormat = "json"
    max_body_size: int = Field(default=64 * 1024, ge=0)
    # Served route only, as Camel's platform-http: the media types a request body may
    # come as (comma-separated); another is a 415. None: as ``body_format`` reads.
    consumes: str | None = None
    # Call only: seconds for the whole call, connecting included.
    timeout: float = Field(default=10.0, gt=0)
    # Call only: false keeps a 4xx/5xx answer as the body instead of raising.
    throw_exception_on_failure: bool = True


SERVER_ONLY = frozenset({"body_format", "max_body_size", "consumes"})
CLIENT_ONLY = frozenset({"timeout", "throw_exception_on_failure"})


def misplaced(options: HttpOptions, forbidden: frozenset[str]) -> list[str]:
    """URI names of the options given that belong to the other kind of endpoint."""
    return sorted(
        HttpOptions.model_fields[name].alias or name
        for name in options.model_fields_set & forbidden
    )
