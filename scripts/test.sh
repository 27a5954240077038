#!/usr/bin/env bash
# Builds tsfill (Release) and runs the whole test suite with CTest.
# Usage: scripts/test.sh            (TSFILL_PRESET=ci: warnings as errors, as CI builds)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${TSFILL_PRESET:-release}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
export CTEST_PARALLEL_LEVEL=${CTEST_PARALLEL_LEVEL:-$(nproc)}
scripts/setup.sh
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
