"""Options of ``gateway:<name>?url=...&timeout=...``."""

from __future__ import annotations

from pydantic import Field

from endpoints.component import EndpointOptions


class GatewayOptions(EndpointOptions):
    # The bank service to call (http://host:port); none pays the bank registered
    # on the component under the endpoint's name, in process.
    url: str | None = Field(default=None, pattern=r"^https?://[^/?#]+(/[^?#]*)?$")
    # Seconds a payment may take before it counts as a transient failure.
    timeout: float = Field(default=10.0, gt=0)
