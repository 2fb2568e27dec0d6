"""A start that cannot go on says why in one line and exits non-zero: a ``.env`` key
that is no setting (2), a route file with a mistake or a flow that would break its
promises (2), a server the settings name that does not answer (1)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from config.settings import SHIPPED_ROUTES
from infra.server import free_port

APP = Path(__file__).resolve().parents[2] / "app.py"
_SERVERS = ("KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI")


def start(cwd: Path, mode: str = "all", **env: str) -> subprocess.CompletedProcess[str]:
    """``app.py`` in ``cwd`` (where it reads ``.env``), on the embedded defaults but ``env``."""
    base = {key: value for key, value in os.environ.items() if key not in _SERVERS}
    return subprocess.run(
        [sys.executable, str(APP), mode],
        cwd=cwd,
        env={**base, "HTTP_PORT": str(free_port()), "STORE_PATH": str(cwd / "o.sqlite3"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_dotenv_key_that_is_no_setting_stops_the_start_naming_it_and_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\nGATEWAY_URLL=http://127.0.0.1:9000\n")
    result = start(tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "app.py: invalid settings:",
        f"{tmp_path / '.env'}: GATEWAY_URLL is no setting (see docs/configuration.md)",
    ]


def test_an_unreachable_broker_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    servers = f"127.0.0.1:{free_port()}"
    result = start(tmp_path, KAFKA_BOOTSTRAP_SERVERS=servers, MONGO_URI="mongodb://127.0.0.1:1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"app.py: cannot start: KAFKA_BOOTSTRAP_SERVERS={servers}: no broker answered"
    )


def test_an_unreachable_store_is_one_line_naming_the_setting_without_its_secret(
    tmp_path: Path,
) -> None:
    uri = f"mongodb://payments:s3cret@127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=500"
    result = start(tmp_path, MONGO_URI=uri)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "s3cret" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-1] == (
        f"app.py: cannot start: MONGO_URI={uri.replace('payments:s3cret', '***')}: "
        "no MongoDB server answered"
    )


def test_a_periodic_reconciliation_without_a_bank_to_read_stops_the_ingestion_service(
    tmp_path: Path,
) -> None:
    servers = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "MONGO_URI": "mongodb://127.0.0.1:1"}
    result = start(tmp_path, "ingest", RECONCILE_PERIOD="60", **servers)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "app.py: RECONCILE_PERIOD needs GATEWAY_URL: the ingestion service pays through no bank"
    )


def test_the_simulated_bank_refuses_a_gateway_variable_no_setting_reads(tmp_path: Path) -> None:
    """Like the services' settings: a misspelt GATEWAY_* variable is no silent default.
    The services' own GATEWAY_* settings share the environment and are no mistake."""
    result = start(
        tmp_path,
        "gateway",
        GATEWAY_LATENSY="0.1",
        GATEWAY_SEED="seven",
        GATEWAY_URL="http://127.0.0.1:9000",
        GATEWAY_TIMEOUT="5",
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        "app.py: invalid settings:",
        "GATEWAY_LATENSY: no setting of this service reads it (did you mean GATEWAY_LATENCY?)",
    ]
    assert lines[2].startswith("GATEWAY_SEED: Input should be a valid integer")
    assert len(lines) == 3


def edited_flow(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the shipped flow with one edit in ``file``; the copy's folder."""
    routes = tmp_path / "routes"
    shutil.copytree(SHIPPED_ROUTES, routes, ignore=shutil.ignore_patterns("examples"))
    edited = routes / file
    text = edited.read_text()
    assert text.count(old) == 1
    edited.write_text(text.replace(old, new))
    return routes


def test_a_mistake_in_an_edited_route_file_stops_the_start_naming_file_route_and_key(
    tmp_path: Path,
) -> None:
    create = '- setHeader: {name: payment.clientId, simple: "${header[http.principal]}"}\n'
    create += "        - process: {ref: receiveOrder}"  # the create route's, not the cancel's
    routes = edited_flow(
        tmp_path, "ingest/api.yaml", create, create.replace("setHeader", "set-header", 1)
    )
    result = start(tmp_path, ROUTES_DIR=str(routes))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.splitlines()[-2:] == [
        f"app.py: {routes / 'ingest' / 'api.yaml'}: 1 problem:",
        "  route 'create-payment-order': from.steps[0].set-header: unknown step 'set-header'; "
        "write 'setHeader': Camel 4 keys are camelCase (kebab-case went in 4.13)",
    ]


def test_a_flow_that_would_pay_before_claiming_refuses_to_start(tmp_path: Path) -> None:
    claim = "        - process: {ref: readCommand}\n"
    routes = edited_flow(
        tmp_path, "process/execution.yaml", claim, claim + '        - to: "{{payment.gateway}}"\n'
    )
    result = start(tmp_path, ROUTES_DIR=str(routes))
    assert result.returncode == 2
    assert result.stderr.splitlines()[-2:] == [
        "app.py: the payment flow would break its promises:",
        f"  {routes / 'process' / 'execution.yaml'}: route 'execute-payment-order': a payment is "
        "claimed before the bank is called: to gateway:simulated before claimPayments and "
        "decidePayment",
    ]
