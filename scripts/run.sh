#!/usr/bin/env bash
# Installs what is missing, builds Converge, and runs it on ./converge_data with the example chat
# app deployed: storage node, coordinator and runners, supervised by `converge serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product converge
exec .build/release/converge serve --data ./converge_data --deploy examples/chat/convex "$@"
