#!/usr/bin/env bash
# Installs what is missing, builds Converge, and runs it on ./converge_data.
# For now this is the storage node alone; `converge serve` takes its place once the coordinator exists.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product converge
exec .build/release/converge storage --data-dir ./converge_data --listen tcp://127.0.0.1:7410 "$@"
