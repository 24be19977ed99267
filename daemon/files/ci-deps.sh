#!/bin/sh
# What `cargo test -p commcenter-files` needs besides the Rust toolchain: moto's
# S3-compatible server (`moto_server`), which the S3 backend tests start on 127.0.0.1.
# Run from CI before the tests: `sh daemon/files/ci-deps.sh`. Safe to run again.
set -eu

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'moto[server]==5.2.1'

# pyenv exposes console scripts through shims that exist only after a rehash.
if command -v pyenv >/dev/null 2>&1; then
    pyenv rehash
fi

if ! command -v moto_server >/dev/null 2>&1; then
    echo "ci-deps: moto_server is not on PATH after installing moto[server]" >&2
    exit 1
fi
