"""Service settings, read from the environment (and a ``.env`` file) by pydantic-settings.

Unset ``KAFKA_BOOTSTRAP_SERVERS`` / ``MONGO_URI`` mean the embedded defaults (in-process
queues, an SQLite file), so a fresh clone runs without any server. A mistake names the
variable and the reason, and stops the start; so does a key of the ``.env`` file that is
no setting (a misspelt one would otherwise be a setting silently left at its default).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection, Mapping, Sequence
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_FILE = Path(".env")
PrefixedSettings = TypeVar("PrefixedSettings", bound=BaseSettings)
# The payment flow as shipped, in Camel 4's YAML (ROUTES_DIR's default).
SHIPPED_ROUTES = Path(__file__).resolve().parent / "routes"


class InvalidSettings(ValueError):
    """One line per bad variable: its name and the reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))

    @classmethod
    def of(cls, error: ValidationError, prefix: str = "") -> InvalidSettings:
        """The problems pydantic found, each named as its variable (``prefix`` first)."""
        return cls([_problem(detail, prefix) for detail in error.errors()])


def unknown_variables(prefix: str, known: Collection[str], environ: Mapping[str, str]) -> list[str]:
    """A problem for each variable of ``environ`` named with ``prefix`` that is none of
    ``known`` (a misspelt one would be a setting silently left at its default), with
    the closest accepted spelling."""
    problems = []
    for name in sorted(name for name in environ if name.upper().startswith(prefix)):
        if name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"accepted: {', '.join(sorted(known))}"
        problems.append(f"{name}: no setting of this service reads it ({hint})")
    return problems


def _none_or_time(value: object) -> object:
    return None if isinstance(value, str) and value.strip().lower() == "none" else value


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is no IANA time zone (e.g. Europe/Berlin)") from None
    return name


class Settings(BaseSettings):
    """Every setting of the services; each field's description is its line of
    docs/configuration.md (``python -m config.reference`` writes it)."""

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="forbid")

    http_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the HTTP API (and of health, always)."
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO (one line per request), WARNING or ERROR."
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="`json`: one JSON object per line; `text`: for a terminal."
    )
    kafka_bootstrap_servers: str | None = Field(
        default=None,
        description="Kafka brokers, `host:port[,host:port]`; unset: in-process queues.",
    )
    kafka_topic_prefix: str = Field(
        default="", description="Prefix of every topic and of the consumer group, e.g. `staging.`."
    )
    mongo_uri: str | None = Field(
        default=None,
        description="MongoDB (or FerretDB) connection string; unset: the embedded SQLite store.",
    )
    mongo_database: str = Field(
        default="payments", min_length=1, description="Database of the orders."
    )
    store_path: Path = Field(
        default=Path("data/orders.sqlite3"), description="File of the embedded store."
    )
    execute_topic_partitions: int = Field(
        default=6,
        ge=1,
        le=1000,
        description="Partitions of `payment.execute` (created at start if missing).",
    )
    processor_concurrency: int = Field(
        default=64,
        ge=1,
        le=1000,
        description="Orders one worker takes from Kafka at once, as a batch; it works on up to "
        "four batches at a time (embedded: orders executed at once).",
    )
    gateway_url: str | None = Field(
        default=None,
        description="Bank service to pay through; unset: the in-process simulated bank.",
    )
    gateway_timeout: float = Field(
        default=5.0, gt=0, description="Seconds for one call to the bank."
    )
    gateway_max_redeliveries: int = Field(
        default=5, ge=0, description="Retries of a transient gateway failure."
    )
    gateway_redelivery_delay: float = Field(
        default=0.2, ge=0, description="Seconds before the first retry."
    )
    gateway_backoff_multiplier: float = Field(
        default=2.0, ge=1, description="Each retry waits this many times longer (with jitter)."
    )
    gateway_max_redelivery_delay: float = Field(
        default=5.0, ge=0, description="Seconds a retry waits at most."
    )
    gateway_latency: float = Field(
        default=0.0,
        ge=0,
        description="Seconds the in-process simulated bank takes to answer (the median, "
        "with `GATEWAY_LATENCY_P99`).",
    )
    gateway_latency_p99: float | None = Field(
        default=None,
        gt=0,
        description="The 99th percentile of the in-process simulated bank's answer time: "
        "log-normal around `GATEWAY_LATENCY`; unset, always that.",
    )
    gateway_latency_cap: float | None = Field(
        default=None, gt=0, description="Seconds the simulated bank's answer takes at most."
    )
    gateway_transient_failure_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of the in-process simulated bank's answers that are transient failures.",
    )
    gateway_permanent_failure_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of the in-process simulated bank's answers that are rejections.",
    )
    recovery_period: float = Field(
        default=10.0, gt=0, description="Seconds between two recovery sweeps."
    )
    recovery_after: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an order may owe its command without a change before a sweep "
        "takes it.",
    )
    reconcile_period: float | None = Field(
        default=None,
        gt=0,
        description="Seconds between the ingestion service's reconciliations with the bank; "
        "unset: none.",
    )
    business_calendar: Literal["TARGET", "weekends", "none"] = Field(
        default="TARGET",
        description="The business days an order for a day is paid on: `TARGET` (weekends "
        "and the ECB's TARGET2 closing days), `weekends`, or `none` (every day).",
    )
    execution_cutoff: Annotated[time | None, BeforeValidator(_none_or_time)] = Field(
        default=time(16, 0),
        description="Local time after which an order for today is paid on the next business "
        "day; `none`: no cut-off.",
    )
    execution_timezone: Annotated[str, AfterValidator(_timezone)] = Field(
        default="Europe/Berlin", description="The IANA time zone of the days and the cut-off."
    )
    execution_horizon_days: int = Field(
        default=365, ge=1, description="How many days ahead an order may be for."
    )
    release_period: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between two releases of the scheduled orders that became due.",
    )
    payment_file_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="The largest pain.001 `POST /payment-files` takes, in bytes (spooled "
        "to disk as it arrives, never held in memory; 50,000 transfers are about 30 MB).",
    )
    payment_files_dir: Path = Field(
        default=Path("data/payment-files"),
        description="Where an accepted pain.001 is kept until each of its transfers is an "
        "order or refused; a restart finishes the split of those left there.",
    )
    reconcile_ledgers: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="More banks whose ledgers the reconciliation reads beside GATEWAY_URL's, "
        "comma-separated URLs: for a flow that pays through more than one bank.",
    )
    routes_dir: Path = Field(
        default=SHIPPED_ROUTES,
        description="The route files: the payment flow's folders (`ingest/`, `process/`, "
        "`reconcile/`) and routes of your own beside them; by default those shipped in "
        "`config/routes`.",
    )
    api_clients_file: Path | None = Field(
        default=None,
        description="YAML file of the API clients and operators (key digests); unset: the API "
        "is open.",
    )
    api_auth_required: bool = Field(
        default=False,
        description="`true` refuses to start the API (`all`, `ingest`) without a client.",
    )
    api_rate_limit: float = Field(
        default=20.0,
        gt=0,
        description="Requests a second per client and ingestion process, unless its entry says.",
    )
    api_rate_burst: int = Field(
        default=40, ge=1, description="Requests a client may send at once, unless its entry says."
    )

    @field_validator("reconcile_ledgers", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(url.strip() for url in value.split(",") if url.strip())
        return value

    @field_validator("gateway_latency_p99", "gateway_latency_cap")
    @classmethod
    def _above_the_median(cls, value: float | None, info: ValidationInfo) -> float | None:
        return above_the_median(value, info.data.get("gateway_latency"), "GATEWAY_LATENCY")


def above_the_median(value: float | None, median: float | None, name: str) -> float | None:
    """A latency's p99 or cap: at least its median (``name``), which must be above 0."""
    if value is not None and median is not None and not 0 < median <= value:
        raise ValueError(f"must be at least {name} ({median:g} s), which must be above 0")
    return value


def load_prefixed(
    model: type[PrefixedSettings], prefix: str, also: Collection[str] = ()
) -> PrefixedSettings:
    """``model`` (whose variables start with ``prefix``) from the environment;
    InvalidSettings names every ``prefix`` variable that is wrong or that neither it nor
    ``also`` (read by another service of the same environment) reads."""
    known = {prefix + name.upper() for name in model.model_fields} | set(also)
    problems = unknown_variables(prefix, known, os.environ)
    try:
        settings = model()
    except ValidationError as error:
        problems += str(InvalidSettings.of(error, prefix)).splitlines()
    if problems:
        raise InvalidSettings(problems)
    return settings


def load_settings() -> Settings:
    """The settings of the environment and ``.env``; InvalidSettings if any is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise InvalidSettings.of(error) from None


def _problem(detail: Any, prefix: str = "") -> str:
    name = prefix + "_".join(str(part) for part in detail["loc"]).upper()
    if detail["type"] == "extra_forbidden":  # only a .env key can be one
        return f"{ENV_FILE.resolve()}: {name} is no setting (see docs/configuration.md)"
    return f"{name}: {detail['msg']}"
