#!/usr/bin/env bash
# Starts the orchestrator (`python app.py all` by default) in the project's .venv.
# Arguments are passed to app.py: scripts/run.sh ingest | process | gateway | all
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python app.py "$@"
