#!/usr/bin/env bash
# Builds the Python module (python/: nanobind, scikit-build-core) and installs it into .venv,
# so that tests/python and the Spark example use the code of this checkout. Incremental:
# the build directory is build/python (about 75 s the first time, seconds after).
# Usage: scripts/build_python.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation ./python
