"""Route files in Camel 4's YAML DSL, as Camel 4.13+ writes them::

    - beans:
        - name: validate
          type: mypackage.checks:validate_order      # a Python callable or class
    - routeConfiguration:
        errorHandler:
          deadLetterChannel:
            deadLetterUri: kafka:orders.DLT
            redeliveryPolicy: {maximumRedeliveries: 3, redeliveryDelay: 500}
    - route:
        id: greet
        description: greets the named
        from:
          uri: timer:tick
          parameters: {period: 5s}
          steps:
            - setHeader: {name: kind, simple: "${body.kind}"}
            - process: {ref: validate}
            - choice:
                when:
                  - simple: "${header.kind} == 'urgent'"
                    steps: [{to: kafka:urgent}]
                otherwise:
                  steps: [{to: kafka:normal}]
    - from:                                          # a route without an id
        uri: "direct:start"
        steps: [{log: "${body}"}]

Top-level entries: ``route``, ``from``, ``routeConfiguration``, ``beans``, and
``errorHandler`` and ``onException`` for every route. Property placeholders
(``{{name}}``, ``{{name:default}}``, ``{{env:NAME}}``) are resolved first. Every
problem of a file is reported at once, each with the route, the path to its key, the
reason and, for a misspelt or kebab-case key, the spelling meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import Field, ValidationError

from endpoints.uri import mask_credentials
from routes.definition import OnException, RouteConfiguration, RouteDefinition
from routes.dsl import RouteBuilder
from routes.yaml.beans import bean
from routes.yaml.handling import ErrorHandlerSpec, OnExceptionSpec
from routes.yaml.options import EndpointSpec
from routes.yaml.placeholders import Placeholders, environment
from routes.yaml.problems import Path, Problems, where
from routes.yaml.spec import OnExceptionList, RawSteps, Spec
from routes.yaml.steps import StepParser

ENTRIES = ("route", "from", "routeConfiguration", "beans", "errorHandler", "onException")


class RouteConfigError(ValueError):
    """A route file that cannot be used; every line names where and why."""


class FromSpec(EndpointSpec):
    steps: RawSteps = None


class RouteSpec(Spec):
    id: str | None = None
    description: str | None = None
    route_configuration_id: str | None = None
    from_: FromSpec = Field(alias="from")
    error_handler: ErrorHandlerSpec | None = None


class RouteConfigurationSpec(Spec):
    id: str | None = None
    error_handler: ErrorHandlerSpec | None = None
    on_exception: OnExceptionList = Field(default_factory=list)


class BeanSpec(Spec):
    name: str
    type: str
    properties: dict[str, Any] = Field(default_factory=dict)


class _File:
    """One file being read into a RouteBuilder."""

    def __init__(
        self,
        source: str,
        builder: RouteBuilder,
        properties: Mapping[str, str],
        environ: Mapping[str, str],
    ) -> None:
        self.source = source
        self.builder = builder
        self.problems = Problems()
        self.steps = StepParser(self.problems)
        self.placeholders = Placeholders(properties, environ, self.problems)

    def entry(self, raw: Any, path: Path) -> None:
        if not isinstance(raw, dict) or len(raw) != 1:
            self.problems.add(path, "an entry is a map of one key: " + ", ".join(ENTRIES))
            return
        ((key, value),) = raw.items()
        if key not in ENTRIES:
            self.problems.unknown_key(path, str(key), ENTRIES, "entry")
            return
        at = (*path, _route_label(value) if key == "route" else key)
        value = self.placeholders.resolve(value, at)
        match key:
            case "route":
                self._route(value, at)
            case "from":  # a route without an id: its keys are at the entry itself
                self._route({"from": value}, path)
            case "routeConfiguration":
                self._configuration(value, at)
            case "beans":
                self._beans(value, at)
            case "errorHandler":
                handler = self._spec(ErrorHandlerSpec, value, at)
                if handler is not None:
                    self.builder.default_error_handler = handler.build()
            case "onException":
                policy = self._on_exception(value, at)
                if policy is not None:
                    self.builder.on_exceptions.append(policy)

    def _spec(self, model: type[Spec], value: Any, path: Path) -> Any:
        try:
            return model.model_validate(value if value is not None else {})
        except ValidationError as error:
            self.problems.from_validation(path, error, model)
            return None

    def _route(self, value: Any, path: Path) -> None:
        spec: RouteSpec | None = self._spec(RouteSpec, value, path)
        if spec is None:
            return
        steps = self.steps.steps(spec.from_.steps, (*path, "from", "steps"))
        ids = spec.route_configuration_id
        self.builder.routes.append(
            RouteDefinition(
                from_uri=spec.from_.full_uri(),
                route_id=spec.id,
                steps=steps,
                error_handler=self._handler(spec.error_handler, (*path, "errorHandler")),
                description=spec.description,
                route_configuration_ids=tuple(i.strip() for i in ids.split(",")) if ids else (),
                source=self.source,
            )
        )

    def _configuration(self, value: Any, path: Path) -> None:
        spec: RouteConfigurationSpec | None = self._spec(RouteConfigurationSpec, value, path)
        if spec is None:
            return
        policies = self._policies(spec.on_exception, (*path, "onException"))
        handler = self._handler(spec.error_handler, (*path, "errorHandler"))
        if spec.id is None:
            self.builder.on_exceptions.extend(policies)
            if handler is not None:
                self.builder.default_error_handler = handler
        else:
            self.builder.route_configurations.append(RouteConfiguration(spec.id, policies, handler))

    def _handler(self, spec: ErrorHandlerSpec | None, path: Path) -> Any:
        try:
            return spec.build() if spec is not None else None
        except ValueError as error:
            self.problems.add(path, str(error))
            return None

    def _policies(self, items: list[dict[str, Any]], path: Path) -> list[OnException]:
        found = []
        for index, item in enumerate(items):
            at = (*path, index)
            if set(item) != {"onException"}:
                self.problems.add(at, "each is a map of one key, onException (- onException: ...)")
                continue
            policy = self._on_exception(item["onException"], (*at, "onException"))
            if policy is not None:
                found.append(policy)
        return found

    def _on_exception(self, value: Any, path: Path) -> OnException | None:
        spec: OnExceptionSpec | None = self._spec(OnExceptionSpec, value, path)
        if spec is None:
            return None
        steps = self.steps.steps(spec.steps, (*path, "steps"))
        try:
            return spec.build(steps)
        except ValueError as error:
            self.problems.add(path, str(error))
            return None

    def _beans(self, value: Any, path: Path) -> None:
        if not isinstance(value, list):
            self.problems.add(path, "must be a list of beans (- name: ..., type: ...)")
            return
        for index, raw in enumerate(value):
            spec: BeanSpec | None = self._spec(BeanSpec, raw, (*path, index))
            if spec is None:
                continue
            try:
                self.builder.beans[spec.name] = bean(spec.type, spec.properties)
            except (ImportError, AttributeError, TypeError, ValueError) as error:
                self.problems.add((*path, index, "type"), str(error))


def _route_label(value: Any) -> str:
    """``route 'orders'`` where the route has an id, to say where a problem is."""
    route_id = value.get("id") if isinstance(value, dict) else None
    return f"route {route_id!r}" if isinstance(route_id, str) else "route"


def load_routes(
    path: FilePath | str,
    into: RouteBuilder | None = None,
    *,
    properties: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> RouteBuilder:
    """Read one YAML route file into a RouteBuilder; RouteConfigError lists every problem."""
    path = FilePath(path)
    builder = into or RouteBuilder()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise RouteConfigError(f"{path}: cannot read YAML: {error}") from None
    if not isinstance(document, list):
        raise RouteConfigError(f"{path}: expected a list of entries (- route: ..., - from: ...)")
    environ = environ if environ is not None else environment()
    reading = _File(str(path), builder, properties or {}, environ)
    for index, raw in enumerate(document):
        reading.entry(raw, (index,))
    if reading.problems.found:
        lines = [
            f"{where(at)}: {mask_credentials(reason)}" for at, reason in reading.problems.found
        ]
        count = len(lines)
        raise RouteConfigError(
            f"{path}: {count} problem{'s' if count > 1 else ''}:\n  " + "\n  ".join(lines)
        )
    return builder


def load_route_directory(
    directory: FilePath | str,
    into: RouteBuilder | None = None,
    *,
    properties: Mapping[str, str] | None = None,
) -> RouteBuilder:
    """Load every route file of a folder (``route_files``)."""
    builder = into or RouteBuilder()
    for path in route_files(directory):
        load_routes(path, builder, properties=properties)
    return builder


def route_files(directory: FilePath | str) -> list[FilePath]:
    """The ``*.yaml`` / ``*.yml`` files of a folder (not its subfolders), in name order."""
    folder = FilePath(directory)
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
