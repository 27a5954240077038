#!/usr/bin/env bash
# Installs what building and testing tsfill needs on Debian 12, skipping what is present:
# Debian packages through apt-get, Python packages into ./.venv through pip.
# Usage: scripts/setup.sh [--spark]
#   --spark   also Java 17 (Debian's openjdk-17-jre-headless), pyspark, deltalake and
#             pyiceberg: the Spark example, the Delta and Iceberg writers and their tests
#             (CI uses it; the quick start does not need it)
set -euo pipefail
spark=0
[ "${1:-}" = "--spark" ] && spark=1
cd "$(dirname "$0")/.."

packages=(g++ cmake ninja-build git libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev
          libhowardhinnant-date-dev libcli11-dev libsqlite3-dev tzdata clang-format gnuplot-nox
          clang python3-venv)  # (clang: libFuzzer for tests/fuzz)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python tools in ./.venv (pyarrow also provides Arrow C++ for the CLI's Parquet support).
python=${TSFILL_SETUP_PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi
if ! .venv/bin/python -c 'import pyarrow, duckdb, polars, pandas, pytest, nanobind, scikit_build_core' >/dev/null 2>&1; then
  echo "setup: installing scripts/requirements.txt into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements.txt
fi

if ((spark)); then
  if ! command -v java >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing openjdk-17-jre-headless (Spark)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  fi
  if ! .venv/bin/python -c "import pyspark, deltalake, pyiceberg" >/dev/null 2>&1; then
    echo "setup: installing pyspark, deltalake and pyiceberg into .venv"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/requirements-scaleout.txt
  fi
fi
