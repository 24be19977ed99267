#!/bin/sh
# The test peers the suite needs besides the Rust toolchain, from PyPI:
#  - moto's server mode (`moto_server`), an S3-compatible server the S3 file
#    backend tests start on 127.0.0.1;
#  - schemathesis (`st`), which fuzzes the daemon's API from its own OpenAPI
#    document in tests/api_fuzz.rs;
#  - Pillow, the side-by-side peer of the image figures in daemon/benches/files.rs;
#  - aiosmtpd, the SMTP server the outbox's email tests start (fixtures/smtp_peer.py);
#  - prometheus_client, the Prometheus project's parser that tests/metrics.rs
#    reads /metrics with (fixtures/parse_metrics.py);
# and from Debian, what building the workspace needs besides the Rust toolchain:
#  - cmake and nasm, with which the `turbojpeg` crate builds libjpeg-turbo (with
#    its SIMD code) from its bundled source. Run this before the first build;
#  - tmux, in which cli/tests/tui_e2e.rs runs the real `commcenter tui`.
# Safe to run again.
set -eu
sh "$(dirname "$0")/build-deps.sh"
sh "$(dirname "$0")/../daemon/files/ci-deps.sh"
if ! command -v tmux >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-peers: tmux is needed; run: sudo apt-get install tmux" >&2
        exit 1
    fi
    apt-get update -q
    apt-get install -y -q tmux
fi
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'schemathesis==4.32.5' 'pillow==12.0.0' 'aiosmtpd==1.4.6' 'prometheus-client==0.26.0'
if command -v pyenv >/dev/null 2>&1; then
    pyenv rehash
fi
if ! command -v st >/dev/null 2>&1; then
    echo "test-peers: st (schemathesis) is not on PATH after installing it" >&2
    exit 1
fi
# Debian's chromium and chromium-driver: tests/portal_browser.rs drives the
# customer and crew web pages in headless Chromium over WebDriver.
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-peers: chromium is needed; run: sudo apt-get install chromium chromium-driver" >&2
        exit 1
    fi
    apt-get update -q
    apt-get install -y -q chromium chromium-driver
fi
