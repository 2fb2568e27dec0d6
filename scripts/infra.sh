#!/usr/bin/env bash
# Local Kafka and FerretDB for development: scripts/infra.sh up|down|status|logs|env|install
# `eval "$(scripts/infra.sh up)"` starts both and exports KAFKA_BOOTSTRAP_SERVERS and MONGO_URI.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 -m infra "$@"
