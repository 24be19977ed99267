#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the test peers that
# are not Rust, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Test peers the suite starts itself on 127.0.0.1 (none runs as a service):
#  - moto's server mode, an S3-compatible object store, for the S3 file backend.
if ! command -v moto_server >/dev/null 2>&1; then
  sh files/ci-deps.sh
fi

cargo test --workspace "$@"
