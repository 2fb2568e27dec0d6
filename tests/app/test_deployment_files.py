"""The compose file describes the deployment docs/deployment.md promises."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_every_service_and_lets_processors_scale() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"kafka", "mongo", "gateway", "ingestion", "processor"}
    assert services["ingestion"]["command"] == ["ingest"]
    assert services["processor"]["command"] == ["process"]
    assert "ports" not in services["processor"]  # --scale processor=N needs no host port
    assert services["ingestion"]["ports"] == ["127.0.0.1:8080:8080"]  # open API: loopback only
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for name in ("ingestion", "processor"):
        environment = services[name]["environment"]
        assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        assert environment["MONGO_URI"].startswith("mongodb://mongo")
