"""Assembles a service of the orchestrator from settings: the store, the components, the
payment routes on one engine, the health endpoints and, where the API is served, the
operators' console.

``ingest`` serves the API and issues execution commands, ``process`` executes them,
``all`` does both in one process. Every mode serves ``/health/live``,
``/health/ready`` and ``/metrics``. With Kafka and MongoDB configured they talk through
``payment.execute``; without, ``all`` runs on in-process queues and an SQLite file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web

from components.http import HttpComponent
from components.kafka import KafkaComponent, KafkaUnavailable
from config.settings import Settings
from endpoints.base import PartitionedConsumer
from endpoints.exchange import utcnow
from endpoints.uri import mask_credentials
from observability.metrics import metrics_handler, service_registry
from payments.api.files import FileQueries
from payments.bank import SimulatedBank
from payments.bank.latency import Latency
from payments.console import add_console
from payments.console.api import DeadLetterSource
from payments.contracts.asyncapi import TopicUse
from payments.contracts.asyncapi import document as asyncapi_document
from payments.contracts.openapi import openapi_document
from payments.domain.calendar import BusinessCalendar, ExecutionRules
from payments.domain.files import FileStore
from payments.domain.store import OrderStore, StoreUnavailable
from payments.domain.topics import PROCESSOR_GROUP, TopicNames
from payments.files.intake import FileIntake
from payments.files.kept import KeptFiles
from payments.files.report import FileReports
from payments.gateway import GatewayComponent
from payments.lifecycle.execution import Execution
from payments.lifecycle.ingestion import Ingestion
from payments.lifecycle.orders import Clock
from payments.operations.dead_letters import latest_dead_letters
from payments.operations.reconciliation import (
    BookingSource,
    Reconciler,
    banks_ledgers,
    ledger_pages,
)
from payments.operations.statements import Booking, ledger_bookings
from payments.service.access import ASYNCAPI_PATH, METRICS_PATH, AccessPolicy, access_policy
from payments.service.beans import (
    execution_beans,
    file_beans,
    ingestion_beans,
    reconciliation_beans,
)
from payments.service.errors import ConfigurationError, ServerUnreachable
from payments.service.flow import EXECUTE_ROUTE, Topology, load_flow, topic_uses
from payments.service.metrics import PaymentMetrics
from payments.service.observed_store import ObservedOrderStore
from payments.service.safety import check_flow
from payments.service.topics import ensure_topics
from payments.stores import file_store_for, store_for
from routes.dsl import RouteBuilder
from routes.engine import Engine
from routes.yaml import settings_properties

logger = logging.getLogger(__name__)

Mode = Literal["all", "ingest", "process"]
# How long readiness waits for a broker to answer.
KAFKA_PING_DEADLINE = 2.0


@dataclass
class PaymentService:
    mode: Mode
    settings: Settings
    engine: Engine
    http: HttpComponent
    store: OrderStore
    metrics: PaymentMetrics
    access: AccessPolicy
    kafka: KafkaComponent | None = None
    bank: SimulatedBank | None = None
    files: FileStore | None = None  # where the API is served
    _running: bool = field(default=False, init=False)

    async def start(self) -> None:
        """Raises ServerUnreachable when Kafka or the store does not answer; once started,
        readiness reports them and the services' own retries take over."""
        servers = self.settings.kafka_bootstrap_servers
        if servers:
            try:
                await ensure_topics(
                    servers,
                    TopicNames(self.settings.kafka_topic_prefix),
                    self.settings.execute_topic_partitions,
                )
            except KafkaUnavailable as error:
                raise ServerUnreachable("KAFKA_BOOTSTRAP_SERVERS", servers, str(error)) from None
        stores: list[OrderStore | FileStore] = [self.store]
        if self.files is not None:
            stores.append(self.files)
        try:
            for store in stores:
                await store.start()
        except StoreUnavailable as error:
            for store in stores:
                await store.stop()
            uri = mask_credentials(self.settings.mongo_uri or "")
            raise ServerUnreachable("MONGO_URI", uri, "no MongoDB server answered") from error
        try:
            await self.engine.start()
        except BaseException:
            for store in stores:
                await store.stop()
            raise
        self._running = True
        logger.info("%s service listening on %s", self.mode, self.http.url)

    async def stop(self) -> None:
        if self._running:
            self._running = False
            await self.engine.stop()
            await self.store.stop()
            if self.files is not None:
                await self.files.stop()

    def reload_clients(self) -> bool:
        """Read ``API_CLIENTS_FILE`` again (``app.py`` does on SIGHUP)."""
        return self.access.reload(self.settings.api_clients_file)

    async def readiness(self) -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            await self.store.ping()
            checks["store"] = "UP"
        except StoreUnavailable as error:
            checks["store"] = f"DOWN: {error}"
        if self.kafka is not None:
            try:
                await self.kafka.ping(KAFKA_PING_DEADLINE)
                checks["kafka"] = "UP"
            except KafkaUnavailable as error:
                checks["kafka"] = f"DOWN: {error}"
        statuses = set(self.engine.route_status().values())
        checks["routes"] = "UP" if statuses == {"Started"} else f"DOWN: {sorted(statuses)}"
        execute = self.engine.routes.get(EXECUTE_ROUTE)
        consumer = execute.consumer if execute is not None else None
        if consumer is not None and isinstance(consumer, PartitionedConsumer):
            partitions = consumer.assigned_partitions()
            checks["partitions"] = (
                f"UP: {','.join(map(str, partitions))}" if partitions else "DOWN: none assigned"
            )
        return checks


def build_service(
    settings: Settings,
    mode: Mode,
    *,
    bank: SimulatedBank | None = None,
    clock: Clock = utcnow,
) -> PaymentService:
    """``clock``: what the lifecycle reads the time from (tests move it on)."""
    embedded = not settings.kafka_bootstrap_servers
    if mode != "all" and (embedded or not settings.mongo_uri):
        raise ConfigurationError(
            f"mode {mode!r} needs KAFKA_BOOTSTRAP_SERVERS and MONGO_URI; "
            "only 'all' runs on the embedded defaults"
        )
    access = access_policy(settings, mode)  # before any client is made: it may refuse
    store = store_for(settings)
    engine = Engine()
    registry = service_registry(engine)
    metrics = PaymentMetrics(registry)
    http = HttpComponent(host=settings.http_host, port=settings.http_port)
    access.install(http.app)
    engine.add_component("http", http)
    kafka = None if embedded else KafkaComponent(settings.kafka_bootstrap_servers, "payorch")
    if kafka is not None:
        engine.add_component("kafka", kafka)
    if settings.gateway_url:
        gateway_uri = f"gateway:bank?url={settings.gateway_url}&timeout={settings.gateway_timeout}"
        engine.add_component("gateway", GatewayComponent(metrics=metrics))
    else:
        bank = bank or SimulatedBank(
            latency=Latency(
                settings.gateway_latency, settings.gateway_latency_p99, settings.gateway_latency_cap
            ),
            transient_failure_rate=settings.gateway_transient_failure_rate,
            permanent_failure_rate=settings.gateway_permanent_failure_rate,
        )
        gateway_uri = "gateway:simulated"
        engine.add_component("gateway", GatewayComponent({"simulated": bank}, metrics))

    topology = (
        Topology.embedded(gateway_uri, settings.processor_concurrency)
        if embedded
        else Topology.kafka(
            TopicNames(settings.kafka_topic_prefix),
            gateway_uri,
            settings.kafka_topic_prefix + PROCESSOR_GROUP,
            settings.processor_concurrency,
        )
    )
    observed = ObservedOrderStore(store, metrics)
    folders: list[str] = []
    beans: dict[str, Any] = {}
    if mode in ("all", "ingest"):
        folders.append("ingest")
        rules = ExecutionRules(
            BusinessCalendar(settings.business_calendar),
            settings.execution_cutoff,
            ZoneInfo(settings.execution_timezone),
            settings.execution_horizon_days,
        )
        lifecycle = Ingestion(observed, clock, rules)
        beans |= ingestion_beans(lifecycle, settings.recovery_after)
        files = file_store_for(settings)
        reports = FileReports(files, store, clock)
        intake = FileIntake(files, KeptFiles(settings.payment_files_dir), clock)
        beans |= file_beans(intake, FileQueries(files, reports))
    else:
        files, reports = None, None
    if mode in ("all", "ingest") and settings.reconcile_period is not None:
        reconciler = Reconciler(
            store, _bookings(settings, bank, mode), metrics.reconciliation_mismatches
        )
        folders.append("reconcile")
        beans |= reconciliation_beans(reconciler)
    else:
        reconciler = None
    if mode in ("all", "process"):
        folders.append("process")
        beans |= execution_beans(Execution(observed, clock))
    for name, bound in beans.items():
        engine.bind(name, bound)
    builder = RouteBuilder()
    properties = settings_properties(settings.model_dump())  # {{gateway.url}} …
    load_flow(settings.routes_dir, folders, builder, properties | topology.properties())
    check_flow(builder.routes, topology, "ingest" in folders, "process" in folders)
    uses = topic_uses(builder, settings.kafka_topic_prefix) if kafka is not None else None
    engine.add_routes(builder)
    service = PaymentService(
        mode, settings, engine, http, store, metrics, access, kafka, bank, files
    )
    _add_service_endpoints(http.app, service, openapi=mode != "process", topics=uses)
    if mode != "process":
        letters: DeadLetterSource | None = None
        if settings.kafka_bootstrap_servers:
            dlt = TopicNames(settings.kafka_topic_prefix).dead_letter
            letters = partial(latest_dead_letters, settings.kafka_bootstrap_servers, dlt)
        add_console(http.app, engine, store, reconciler, letters, reports)

    async def count_orders() -> None:
        await metrics.refresh_orders(store)

    http.app.router.add_get(METRICS_PATH, metrics_handler(registry, [count_orders]))
    return service


def _bookings(settings: Settings, bank: SimulatedBank | None, mode: Mode) -> BookingSource:
    """Where the reconciliation reads the bookings: the bank of GATEWAY_URL (and those of
    RECONCILE_LEDGERS), or the in-process bank that ``all`` pays through."""
    url = settings.gateway_url
    if url:
        return banks_ledgers(url, settings.reconcile_ledgers)
    if mode == "ingest" or bank is None:
        raise ConfigurationError(
            "RECONCILE_PERIOD needs GATEWAY_URL: the ingestion service pays through no bank"
        )
    simulated = bank

    async def in_process(offset: int, limit: int) -> list[Booking]:
        page = simulated.ledger(offset, limit)
        entries = [entry.model_dump(mode="json", by_alias=True) for entry in page]
        return list(ledger_bookings({"entries": entries}))

    return partial(ledger_pages, in_process)


def _add_service_endpoints(
    app: web.Application,
    service: PaymentService,
    openapi: bool,
    topics: list[TopicUse] | None,
) -> None:
    """Health for every mode; the API's OpenAPI document where the API is served; the
    AsyncAPI document of the topics its routes use, as loaded, where they are Kafka's.
    Readiness answers 503 naming what is down, in ``down`` and in its check."""

    async def live(_: web.Request) -> web.Response:
        return web.json_response({"status": "UP"})

    async def ready(_: web.Request) -> web.Response:
        checks = await service.readiness()
        down = sorted(name for name, state in checks.items() if not state.startswith("UP"))
        return web.json_response(
            {"status": "DOWN" if down else "UP", "down": down, "checks": checks},
            status=503 if down else 200,
        )

    app.router.add_get("/health", live)
    app.router.add_get("/health/live", live)
    app.router.add_get("/health/ready", ready)
    if openapi:
        document = openapi_document()

        async def describe(_: web.Request) -> web.Response:
            return web.json_response(document)

        app.router.add_get("/openapi.json", describe)
    if topics is not None:
        asyncapi = asyncapi_document(topics)

        async def describe_topics(_: web.Request) -> web.Response:
            return web.json_response(asyncapi)

        app.router.add_get(ASYNCAPI_PATH, describe_topics)
