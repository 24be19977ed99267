#!/usr/bin/env bash
# Starts commcenterd on the embedded store in ./demo-data with the demo data
# set, after installing what the build needs (scripts/build-deps.sh). Extra
# arguments go to commcenterd (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
sh scripts/build-deps.sh
exec cargo run --release -p commcenterd -- --demo --data-dir ./demo-data "$@"
