#!/usr/bin/env bash
# Checks ruff, mypy and the import layers (lint-imports), then runs the whole test suite
# against real servers.
# Kafka and FerretDB are installed on first use into ~/.cache/payorch and started
# for the session by the tests themselves, unless KAFKA_BOOTSTRAP_SERVERS and
# MONGO_URI name running servers (or USE_TESTCONTAINERS=1 and Docker runs).
# Debian's Chromium, for the console's browser test, is installed when missing, and the
# Kubernetes manifest checkers (infra/kubernetes.py) on first use.
# Arguments go to pytest: scripts/test.sh -k kafka -x
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
if [ -z "${KAFKA_BOOTSTRAP_SERVERS:-}${MONGO_URI:-}" ] && [ "${USE_TESTCONTAINERS:-}" != "1" ]; then
  .venv/bin/python -m infra install
  # The fault suite runs FerretDB on PostgreSQL (Debian's package, installed with apt-get).
  FERRETDB_BACKEND=postgresql .venv/bin/python -m infra install
fi
# kustomize and kubeconform (Go module proxy) and the Kubernetes schemas (PyPI), for tests/deploy.
.venv/bin/python -m infra install-k8s
scripts/install-browser.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
