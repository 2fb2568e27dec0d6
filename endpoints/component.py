"""Component: turns a URI of its scheme into an Endpoint.

One template method, as Camel's ``DefaultComponent.createEndpoint``: split the URI,
validate its query against the component's typed options (pydantic), reject any
option it does not know so a typo fails at start, then hand the rest to a hook.
Options are written in camelCase in URIs (``seda:work?concurrentConsumers=4``).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from endpoints.base import Endpoint, Service
from endpoints.errors import EndpointError
from endpoints.uri import EndpointUri, InvalidUri


class EndpointOptions(BaseModel):
    """Base of every component's options: frozen, camelCase in URIs, nothing unknown."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


OptionsT = TypeVar("OptionsT", bound=EndpointOptions)


class Component(Service, Generic[OptionsT]):
    options_model: ClassVar[type[EndpointOptions]] = EndpointOptions

    def create_endpoint(self, uri: str) -> Endpoint:
        try:
            parsed = EndpointUri.parse(uri)
        except InvalidUri as error:
            raise EndpointError(uri, str(error)) from None
        options = self._options(uri, parsed.options)
        return self.make_endpoint(uri, parsed.path, options)

    def _options(self, uri: str, raw: dict[str, str]) -> OptionsT:
        try:
            return self.options_model.model_validate(raw)  # type: ignore[return-value]
        except ValidationError as error:
            known = ", ".join(
                field.alias or name for name, field in self.options_model.model_fields.items()
            )
            problems = []
            for item in error.errors():
                name = ".".join(str(part) for part in item["loc"]) or "options"
                if item["type"] == "extra_forbidden":
                    problems.append(f"unknown option {name!r} (known: {known or 'none'})")
                else:
                    problems.append(f"option {name!r}: {item['msg']}")
            raise EndpointError(uri, "; ".join(problems)) from None

    @abstractmethod
    def make_endpoint(self, uri: str, path: str, options: OptionsT) -> Endpoint:
        """Build the endpoint; raise EndpointError when the path makes no sense."""
