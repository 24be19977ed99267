#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the test peers that
# are not Rust, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Test peers (see scripts/test-peers.sh); the tests start them themselves,
# on 127.0.0.1. None runs as a service.
if ! command -v moto_server >/dev/null 2>&1 || ! command -v st >/dev/null 2>&1 \
    || ! command -v cmake >/dev/null 2>&1 || ! command -v nasm >/dev/null 2>&1 \
    || ! command -v tmux >/dev/null 2>&1 || ! python3 -c 'import aiosmtpd' 2>/dev/null \
    || ! python3 -c 'import prometheus_client' 2>/dev/null \
    || ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  sh scripts/test-peers.sh
fi

cargo test --workspace "$@"
