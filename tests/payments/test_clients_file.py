"""The clients file: what it accepts, and a start stopped naming file, key and reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from config.settings import Settings
from payments.api.clients import RateLimit, digest, load_clients, new_client
from payments.service.build import build_service
from payments.service.errors import ConfigurationError

DIGEST_A, DIGEST_B = digest("key-a"), digest("key-b")


def settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "store_path": tmp_path / "orders.sqlite3",
        "http_port": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_a_valid_file_gives_clients_by_key_with_their_limits(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(
        f"clients:\n"
        f"  - id: shop-a\n    keySha256: {DIGEST_A}\n"
        f"    rateLimit: {{perSecond: 2.5, burst: 5}}\n"
        f"operators:\n  - id: ops\n    keySha256: {DIGEST_B}\n"
    )

    registry = load_clients(path)

    client = registry.client("key-a")
    assert client is not None
    assert (client.id, client.rate_limit) == ("shop-a", RateLimit(per_second=2.5, burst=5))
    assert registry.client("key-b") is None  # an operator's key is no client's
    operator = registry.operator("key-b")
    assert operator is not None
    assert operator.id == "ops"
    assert registry.client("key-c") is None


def test_a_client_rotating_its_key_is_known_by_either_key(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(f"clients:\n  - id: shop-a\n    keySha256: [{DIGEST_A}, {DIGEST_B}]\n")

    registry = load_clients(path)

    found = [registry.client(key) for key in ("key-a", "key-b")]
    assert [client.id if client else None for client in found] == ["shop-a", "shop-a"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (f"clients:\n  - id: shop-a\n    keySha256: {DIGEST_A[:-1]}\n", "clients.0.keySha256"),
        (f"clients:\n  - id: 'shop:a'\n    keySha256: {DIGEST_A}\n", "clients.0.id"),
        (f"clients:\n  - id: a\n    keySha256: {DIGEST_A}\n    key: x\n", "clients.0.key"),
        (
            f"clients:\n  - id: a\n    keySha256: {DIGEST_A}\n"
            "    rateLimit: {perSecond: 0, burst: 1}\n",
            "clients.0.rateLimit.perSecond",
        ),
        (
            f"clients:\n  - {{id: a, keySha256: {DIGEST_A}}}\n"
            f"  - {{id: a, keySha256: {DIGEST_B}}}\n",
            "ids used twice: a",
        ),
        (
            f"clients:\n  - {{id: a, keySha256: {DIGEST_A}}}\n"
            f"operators:\n  - {{id: o, keySha256: {DIGEST_A}}}\n",
            "a keySha256 is used twice",
        ),
        (f"clients:\n  - id: a\n    keySha256: [{DIGEST_A}, x]\n", "clients.0.keySha256.1"),
        ("clients:\n  - id: a\n    keySha256: []\n", "clients.0.keySha256"),
        ("clients: [\n", "not YAML"),
        ("- just a list\n", "(top level)"),
    ],
)
def test_an_invalid_file_stops_the_start_naming_file_key_and_reason(
    tmp_path: Path, text: str, named: str
) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(text)

    with pytest.raises(ConfigurationError) as error:
        build_service(settings(tmp_path, api_clients_file=path), "all")

    message = str(error.value)
    assert message.startswith(f"API_CLIENTS_FILE: {path}: ")
    assert named in message


def test_a_missing_file_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"

    with pytest.raises(ConfigurationError, match=f"{path}: cannot read it: No such file"):
        build_service(settings(tmp_path, api_clients_file=path), "all")


def test_auth_required_without_clients_stops_the_start(tmp_path: Path) -> None:
    path = tmp_path / "clients.yaml"
    path.write_text(f"operators:\n  - {{id: ops, keySha256: {DIGEST_B}}}\n")

    for file in (None, path):
        with pytest.raises(ConfigurationError, match="API_AUTH_REQUIRED is true but no API client"):
            build_service(settings(tmp_path, api_clients_file=file, api_auth_required=True), "all")


def test_an_open_api_is_announced_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.service.access"):
        build_service(settings(tmp_path), "all")

    [warning] = [record for record in caplog.records if record.name == "payments.service.access"]
    assert "no API clients configured" in warning.getMessage()
    assert "open to anyone" in warning.getMessage()


def test_a_new_client_entry_holds_the_digest_of_its_key_and_never_the_key() -> None:
    key, entry = new_client("shop-a")
    other, _ = new_client("shop-a")

    assert len(key) >= 43  # 32 random bytes
    assert key != other
    assert entry == f"- id: shop-a\n  keySha256: {digest(key)}\n"
    assert key not in entry
