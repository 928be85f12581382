#!/usr/bin/env bash
# Installs what Converge needs on a Debian machine, and only what is missing. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the build and the tests use.
packages=(
    libsqlite3-dev                 # the default persistence backend
    libjavascriptcoregtk-4.1-dev   # JavaScriptCore, which runs user functions
    esbuild                        # bundles user TypeScript
    node-typescript                # tsc, with which converge codegen type-checks an app
    python3                        # a loopback HTTP server in the runner tests
    python3-venv                   # the virtualenv for the official convex client
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "swift is not on PATH: install the Swift 6 toolchain (this machine image ships it at /opt/swift)" >&2
    exit 1
fi

# The official Python client, pinned, for the compatibility tests.
if ! .venv/bin/python -c "import convex" >/dev/null 2>&1; then
    /usr/bin/python3 -m venv .venv
    .venv/bin/pip install --quiet convex==0.8.1
fi
