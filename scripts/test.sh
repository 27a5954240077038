#!/usr/bin/env bash
# Builds tsfill (Release) and the Python module, and runs the whole test suite with CTest.
# Usage: scripts/test.sh            (TSFILL_PRESET=ci: warnings as errors, as CI builds)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${TSFILL_PRESET:-release}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
export CTEST_PARALLEL_LEVEL=${CTEST_PARALLEL_LEVEL:-$(nproc)}
scripts/setup.sh
scripts/build_python.sh  # (tests/python and the Spark tests import it)
cmake --preset "$preset"
cmake --build --preset "$preset"
ctest --preset "$preset"
