#!/usr/bin/env bash
# Builds tsfill and runs the reference job (the quickstart example) on generated data.
# Usage: scripts/quickstart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tsfill_quickstart
build/release/examples/tsfill_quickstart
