#!/usr/bin/env bash
# Builds tsfill (Release, warnings as errors) and runs the whole test suite with CTest.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release
cmake --build --preset release
ctest --preset release
