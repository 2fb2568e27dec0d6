"""Service settings, read from the environment (and a ``.env`` file) by pydantic-settings.

Unset ``KAFKA_BOOTSTRAP_SERVERS`` / ``MONGO_URI`` mean the embedded defaults, so a
fresh clone runs without any server.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    http_host: str = Field(default="127.0.0.1", description="Address the HTTP API binds to.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="Port of the HTTP API.")
    kafka_bootstrap_servers: str | None = Field(
        default=None, description="Kafka brokers, host:port[,host:port]; unset = embedded queues."
    )
    mongo_uri: str | None = Field(
        default=None, description="MongoDB connection string; unset = embedded store."
    )
