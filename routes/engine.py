"""The engine (Camel's CamelContext): components, endpoints, named beans and routes.

``start()`` builds every route first, so a bad URI, option or reference stops the
start with a message naming the route, before anything connects. Then components,
endpoints and producers start, and consumers last, once everything they feed is
ready. ``stop()`` reverses that: each route's consumer stops taking work and its
in-flight exchanges finish before producers and connections close.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from endpoints.base import Endpoint, Producer, Service
from endpoints.component import Component
from endpoints.errors import EndpointError
from endpoints.exchange import Exchange
from endpoints.resolver import ComponentResolver
from endpoints.uri import EndpointUri, InvalidUri
from routes.builder import RouteStepsBuilder
from routes.definition import (
    ErrorHandler,
    OnException,
    RouteConfiguration,
    RouteDefinition,
    default_error_handler,
)
from routes.describe import RouteMap, describe_route, route_map
from routes.dsl import RouteBuilder
from routes.error_handling import ExceptionPolicy, RedeliveryErrorHandler, Sleeper
from routes.expressions import Ref
from routes.metrics import RouteMetrics
from routes.route import Route, RouteStatus

logger = logging.getLogger(__name__)


class RouteStartError(Exception):
    """One or more routes cannot be built; the message names each route and reason."""


class UnresolvedReference(LookupError):
    pass


class Engine:
    def __init__(
        self,
        *,
        sleeper: Sleeper = asyncio.sleep,
        rng: random.Random | None = None,
        components: ComponentResolver | None = None,
    ) -> None:
        self.sleeper = sleeper
        self.rng = rng
        self.components = components or ComponentResolver()
        self._endpoints: dict[str, Endpoint] = {}
        self._producers: dict[str, Producer] = {}
        self._beans: dict[str, Any] = {}
        self._definitions: list[RouteDefinition] = []
        self._on_exceptions: list[OnException] = []
        self._configurations: dict[str, RouteConfiguration] = {}
        self._error_handler: ErrorHandler = default_error_handler()
        self._background: set[asyncio.Task[None]] = set()
        self._started: list[Service] = []  # in start order; stopped in reverse
        self._on_stop: list[Callable[[], None]] = []
        self.routes: dict[str, Route] = {}

    # -- configuration ---------------------------------------------------------------
    def bind(self, name: str, bean: Any) -> None:
        """Register a processor, predicate, repository … that routes refer to by name."""
        self._beans[name] = bean

    def add_component(self, scheme: str, component: Component[Any]) -> None:
        self.components.add(scheme, component)

    def register_scheme(self, scheme: str, target: str) -> None:
        """Make ``scheme`` load ``"module:Class"`` on first use (plugins)."""
        self.components.register(scheme, target)

    def add_routes(self, routes: RouteBuilder | Iterable[RouteDefinition]) -> None:
        if isinstance(routes, RouteBuilder):
            self._on_exceptions.extend(routes.on_exceptions)
            if routes.default_error_handler is not None:
                self._error_handler = routes.default_error_handler
            for configuration in routes.route_configurations:
                assert configuration.id is not None  # unnamed ones are the two above
                self._configurations[configuration.id] = configuration
            for name, bean in routes.beans.items():
                self.bind(name, bean)
            routes = routes.routes
        self._definitions.extend(routes)

    def _error_handling(
        self, definition: RouteDefinition
    ) -> tuple[ErrorHandler, list[OnException]]:
        """The route's error handler and its exception policies, nearest first: its own,
        then those of the route configurations it names or, as in Camel, when it names
        none, those for every route."""
        missing = [n for n in definition.route_configuration_ids if n not in self._configurations]
        if missing:
            known = ", ".join(sorted(self._configurations)) or "none"
            raise ValueError(f"no routeConfiguration with id {missing[0]!r} (known: {known})")
        named = [self._configurations[name] for name in definition.route_configuration_ids]
        shared_handler: ErrorHandler | None
        if named:
            shared_handler = next((c.error_handler for c in named if c.error_handler), None)
            shared_policies = [policy for c in named for policy in c.on_exceptions]
        else:  # the configuration without an id: for the routes that name none
            shared_handler, shared_policies = self._error_handler, self._on_exceptions
        handler = definition.error_handler or shared_handler or default_error_handler()
        return handler, [*definition.on_exceptions, *shared_policies]

    # -- lookups used while building -------------------------------------------------------
    def resolve(self, reference: Ref) -> Any:
        try:
            return self._beans[reference.name]
        except KeyError:
            known = ", ".join(sorted(self._beans)) or "none"
            raise UnresolvedReference(
                f"nothing is bound under the name {reference.name!r} (bound: {known})"
            ) from None

    def endpoint(self, uri: str) -> Endpoint:
        if uri not in self._endpoints:
            try:
                scheme = EndpointUri.parse(uri).scheme
            except InvalidUri as error:
                raise EndpointError(uri, str(error)) from None
            self._endpoints[uri] = self.components.resolve(scheme, uri).create_endpoint(uri)
        return self._endpoints[uri]

    def producer(self, uri: str) -> Producer:
        if uri not in self._producers:
            self._producers[uri] = self.endpoint(uri).create_producer()
        return self._producers[uri]

    async def started_producer(self, uri: str) -> Producer:
        """The producer of ``uri``, created and started (with its component and endpoint)
        on first use: for endpoints a route names only while it runs (toD)."""
        producer = self.producer(uri)
        component = self.components.resolve(EndpointUri.parse(uri).scheme, uri)
        for service in (component, self._endpoints[uri], producer):
            await self._start(service)
        return producer

    def track(self, task: asyncio.Task[None]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def on_stop(self, callback: Callable[[], None]) -> None:
        self._on_stop.append(callback)

    # -- building ------------------------------------------------------------------------
    def _build_routes(self) -> None:
        problems: list[str] = []
        seen: set[str] = set()
        for route_id, definition in self._numbered():
            if route_id in seen:
                problems.append(f"route {route_id!r} ({definition.source}): duplicate route id")
                continue
            seen.add(route_id)
            try:
                self.routes[route_id] = self._build_route(route_id, definition)
            except (EndpointError, UnresolvedReference, ValueError, TypeError) as error:
                problems.append(f"route {route_id!r} ({definition.source}): {error}")
        if problems:
            self.routes.clear()
            raise RouteStartError("cannot start routes:\n  " + "\n  ".join(problems))

    def _numbered(self) -> list[tuple[str, RouteDefinition]]:
        """Each definition with its route id; one without gets ``route<n>``."""
        return [
            (definition.route_id or f"route{number}", definition)
            for number, definition in enumerate(self._definitions, start=1)
        ]

    def _build_route(self, route_id: str, definition: RouteDefinition) -> Route:
        metrics = RouteMetrics()
        handler_definition, policies = self._error_handling(definition)
        dead_letter_uri = handler_definition.dead_letter_uri
        prepare = handler_definition.on_prepare_failure
        error_handler = RedeliveryErrorHandler(
            route_id,
            handler_definition,
            policies=[],
            metrics=metrics,
            sleeper=self.sleeper,
            dead_letter=self.producer(dead_letter_uri) if dead_letter_uri else None,
            on_prepare_failure=self.resolve(prepare) if isinstance(prepare, Ref) else prepare,
            rng=self.rng,
        )
        builder = RouteStepsBuilder(self, route_id, error_handler)
        # Steps of an on_exception run unguarded: an error there fails the exchange.
        handling = builder.for_error_handling()
        error_handler.policies = [
            ExceptionPolicy(policy, handling.build(policy.steps)) for policy in policies
        ]
        steps = builder.build(definition.steps)
        route = Route(route_id, definition, steps, metrics, builder.parking)
        route.consumer = self.endpoint(definition.from_uri).create_consumer(route.handle)
        return route

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self._build_routes()
        try:
            for service in [
                *self.components.resolved(),
                *self._endpoints.values(),
                *self._producers.values(),
                # Bound beans with a lifecycle, e.g. a repository that creates its index.
                *(bean for bean in self._beans.values() if isinstance(bean, Service)),
            ]:
                await self._start(service)
            for route in self.routes.values():
                route.status = RouteStatus.STARTING
                assert route.consumer is not None
                await route.consumer.start()
                route.status = RouteStatus.STARTED
                logger.info("route %s started from %s", route.route_id, route.definition.from_uri)
        except BaseException:
            await self.stop()
            raise

    async def stop(self, grace_period: float = 30.0) -> None:
        """Stop consumers, let in-flight exchanges finish (up to ``grace_period`` s), then close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_period
        for route in self.routes.values():
            if route.status in (RouteStatus.STARTED, RouteStatus.STARTING):
                route.status = RouteStatus.STOPPING
                assert route.consumer is not None
                try:
                    async with asyncio.timeout_at(deadline):
                        await route.consumer.stop()
                        await route.wait_idle()
                except TimeoutError:
                    logger.warning(
                        "route %s: %d exchange(s) still in flight at stop",
                        route.route_id,
                        route.metrics.in_flight,
                    )
            route.status = RouteStatus.STOPPED
        for callback in self._on_stop:
            callback()
        if self._background:
            await asyncio.wait(self._background, timeout=max(0.0, deadline - loop.time()))
        while self._started:
            await self._started.pop().stop()

    async def _start(self, service: Service) -> None:
        if service not in self._started:
            await service.start()
            self._started.append(service)

    # -- sending ---------------------------------------------------------------------------
    async def send(
        self, uri: str, body: Any = None, headers: Mapping[str, Any] | None = None
    ) -> Exchange:
        """Send a message to ``uri`` and return the exchange as the endpoint left it
        (Camel's ProducerTemplate). A failure is in ``exchange.exception``, not raised."""
        exchange = Exchange.of(body, dict(headers or {}))
        try:
            producer = await self.started_producer(uri)
            await producer.process(exchange)
        except Exception as error:  # reported through the exchange
            exchange.exception = error
        return exchange

    # -- observing -------------------------------------------------------------------------
    def route_status(self) -> dict[str, str]:
        return {route_id: str(route.status) for route_id, route in self.routes.items()}

    def metrics(self) -> dict[str, dict[str, float]]:
        return {route_id: route.metrics.snapshot() for route_id, route in self.routes.items()}

    def describe(self) -> RouteMap:
        """Every route added, as a graph drawn from its definition (``routes.describe``)."""
        return route_map(
            describe_route(route_id, definition, *self._error_handling(definition))
            for route_id, definition in self._numbered()
        )
