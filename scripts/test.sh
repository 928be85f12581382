#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test (unit tests and the cluster tests
# that start real `converge` processes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build --disable-swift-testing "$@"
