#!/usr/bin/env bash
# Builds the tsfill command line and runs the reference job on the bundled sample silver
# table: RegularMkt rows, 30-minute slots, latest row per slot, per-day grid over all keys,
# forward fill within the day. Writes build/quickstart/gold.csv and prints the stats.
# Usage: scripts/quickstart.sh     (TSFILL_PRESET=ci: the build CI makes)
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${TSFILL_PRESET:-release}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target tsfill_cli
mkdir -p build/quickstart
"build/$preset/examples/tsfill" fill examples/data/silver_sample.csv --output build/quickstart/gold.csv \
  --keys ticker_tk,days --values 'vol*,vWidth' --where tradingSession=RegularMkt --stats --overwrite
echo
echo "build/quickstart/gold.csv (first rows):"
head -n 4 build/quickstart/gold.csv | cut -c 1-150
