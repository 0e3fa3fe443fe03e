#!/usr/bin/env bash
# Formats (default) or lints (--lint) the Swift sources with the repository's .swift-format configuration,
# the one Hummingbird uses. Run from anywhere; needs the toolchain's `swift format`.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests Plugins Benchmarks Profiling Fuzz)
existing=()
for p in "${paths[@]}"; do [[ -e "$p" ]] && existing+=("$p"); done
if [[ "${1:-}" == "--lint" ]]; then
    exec swift format lint --strict --recursive --parallel "${existing[@]}"
fi
exec swift format format --in-place --recursive --parallel "${existing[@]}"
