"""The Kubernetes manifests: the base and each overlay render with kustomize, pass
kubeconform's strict schema check, and keep what the services need to run right."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import InfraError, cache_dir
from infra.kubernetes import KubernetesTools
from routes.engine import Engine

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUSTOMIZATIONS = [K8S / "base", *sorted((K8S / "overlays").iterdir())]
SERVICE_MODES = {"ingest", "process"}  # modes with /health/live and /health/ready

Object = dict[str, Any]


@pytest.fixture(scope="module")
def tools() -> KubernetesTools:
    """Installed by ``scripts/test.sh`` (``python -m infra install-k8s``); missing tools
    fail the tests that render or validate, loudly."""
    return KubernetesTools(cache_dir())


@pytest.fixture(scope="module", params=KUSTOMIZATIONS, ids=lambda path: path.name)
def rendered(request: pytest.FixtureRequest, tools: KubernetesTools) -> str:
    return tools.render(request.param)


@pytest.fixture(scope="module")
def objects(rendered: str) -> list[Object]:
    return [document for document in yaml.safe_load_all(rendered) if document]


def _of_kind(objects: list[Object], kind: str) -> list[Object]:
    return [item for item in objects if item["kind"] == kind]


def _named(objects: list[Object], kind: str, name: str) -> Object:
    (found,) = [item for item in _of_kind(objects, kind) if item["metadata"]["name"] == name]
    return found


def _containers(deployment: Object) -> list[Object]:
    return list(deployment["spec"]["template"]["spec"]["containers"])


def _settings(objects: list[Object], container: Object) -> dict[str, str]:
    """The environment the container's ConfigMaps (``envFrom``) give it."""
    names = {source["configMapRef"]["name"] for source in container.get("envFrom", [])}
    maps = [item for item in _of_kind(objects, "ConfigMap") if item["metadata"]["name"] in names]
    return {key: value for item in maps for key, value in item["data"].items()}


def test_every_object_is_valid_against_the_kubernetes_schemas(
    tools: KubernetesTools, rendered: str, objects: list[Object]
) -> None:
    summary = tools.validate(rendered)
    found = len(objects)
    assert f"Valid: {found}, Invalid: 0, Errors: 0, Skipped: 0" in summary, summary


def test_the_check_rejects_an_unknown_field_and_a_kind_without_schema(
    tools: KubernetesTools,
) -> None:
    typo = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 1}\n"
    with pytest.raises(InfraError, match="replica"):
        tools.validate(typo)
    with pytest.raises(InfraError, match="could not find schema"):
        tools.validate("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\n")


def test_processor_replicas_stay_within_the_partitions_of_payment_execute(
    objects: list[Object],
) -> None:
    processor = _named(objects, "Deployment", "payorch-processor")
    (container,) = _containers(processor)
    settings = _settings(objects, container)
    assert 1 <= processor["spec"]["replicas"] <= int(settings["EXECUTE_TOPIC_PARTITIONS"])
    assert processor["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0


def test_every_container_is_probed_on_its_health_endpoints(objects: list[Object]) -> None:
    for deployment in _of_kind(objects, "Deployment"):
        for container in _containers(deployment):
            (mode,) = container["args"]
            live, ready = (
                ("/health/live", "/health/ready")
                if mode in SERVICE_MODES
                else ("/health", "/health")
            )
            assert container["livenessProbe"]["httpGet"] == {"path": live, "port": "http"}
            assert container["readinessProbe"]["httpGet"] == {"path": ready, "port": "http"}
            assert {"name": "http", "containerPort": 8080} in container["ports"]


def test_every_container_requests_cpu_and_memory_and_caps_memory(objects: list[Object]) -> None:
    for deployment in _of_kind(objects, "Deployment"):
        for container in _containers(deployment):
            assert set(container["resources"]["requests"]) == {"cpu", "memory"}
            assert "memory" in container["resources"]["limits"]


def test_the_mongo_uri_comes_from_a_secret_and_no_config_map_holds_one(
    objects: list[Object],
) -> None:
    for config_map in _of_kind(objects, "ConfigMap"):
        for key, value in config_map["data"].items():
            assert not any(word in key for word in ("MONGO_URI", "PASSWORD", "SECRET", "TOKEN"))
            assert "@" not in value, f"{key} looks like a URL with credentials"
    for deployment in _of_kind(objects, "Deployment"):
        for container in _containers(deployment):
            if container["args"] != ["gateway"]:
                (uri,) = [env for env in container["env"] if env["name"] == "MONGO_URI"]
                assert uri["valueFrom"]["secretKeyRef"]["key"] == "MONGO_URI"


def test_services_run_unprivileged_on_a_read_only_root_with_a_writable_tmp(
    objects: list[Object],
) -> None:
    for deployment in _of_kind(objects, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}} in pod["volumes"]
        for container in _containers(deployment):
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


def test_the_ingestion_spools_and_keeps_payment_files_on_a_volume_of_their_own(
    objects: list[Object],
) -> None:
    """A pain.001 (64 MiB at most) is spooled and kept beside /tmp, never in it."""
    deployment = _named(objects, "Deployment", "payorch-ingestion")
    pod = deployment["spec"]["template"]["spec"]
    assert {"name": "payment-files", "emptyDir": {"sizeLimit": "2Gi"}} in pod["volumes"]
    (container,) = _containers(deployment)
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["TMPDIR"] == "/var/lib/payorch"
    assert env["PAYMENT_FILES_DIR"] == "/var/lib/payorch/payment-files"
    assert {"name": "payment-files", "mountPath": "/var/lib/payorch"} in container["volumeMounts"]


def test_pods_get_longer_to_stop_than_the_engine_drains_in_flight_orders(
    objects: list[Object],
) -> None:
    drain = inspect.signature(Engine.stop).parameters["grace_period"].default
    for deployment in _of_kind(objects, "Deployment"):
        assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > drain


def test_prometheus_scrapes_the_metrics_port_of_every_deployment(objects: list[Object]) -> None:
    scraped = {}
    for deployment in _of_kind(objects, "Deployment"):
        (container,) = _containers(deployment)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/path"] == "/metrics"
        assert annotations["prometheus.io/port"] == "8080"
        scraped[container["args"][0]] = annotations["prometheus.io/scrape"]
    assert scraped == dict.fromkeys((*SERVICE_MODES, "gateway"), "true")


def test_processors_are_drained_one_at_a_time(objects: list[Object]) -> None:
    budget = _named(objects, "PodDisruptionBudget", "payorch-processor")
    processor = _named(objects, "Deployment", "payorch-processor")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == processor["spec"]["selector"]


def test_api_keys_are_required_only_with_a_clients_file_mounted_from_a_secret(
    objects: list[Object],
) -> None:
    ingestion = _named(objects, "Deployment", "payorch-ingestion")
    (container,) = _containers(ingestion)
    settings = _settings(objects, container)
    clients = [env["value"] for env in container["env"] if env["name"] == "API_CLIENTS_FILE"]
    if settings["API_AUTH_REQUIRED"] == "false":
        assert clients == []
        return
    assert settings["API_AUTH_REQUIRED"] == "true"
    (path,) = clients
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    assert mount["readOnly"] is True
    volumes = ingestion["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "payorch-api-clients"
