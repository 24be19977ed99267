#!/bin/sh
# What building the workspace needs besides the Rust toolchain, from Debian:
# cmake and nasm, with which the `turbojpeg` crate builds libjpeg-turbo (with
# its SIMD code) from its bundled source. Safe to run again.
set -eu
if ! command -v cmake >/dev/null 2>&1 || ! command -v nasm >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "build-deps: cmake and nasm are needed; run: sudo apt-get install cmake nasm" >&2
        exit 1
    fi
    apt-get update -q
    apt-get install -y -q cmake nasm
fi
