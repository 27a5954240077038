#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60)
# from its committed seed corpus (copied: the tree is not changed). Any finding (a crash, a
# sanitizer report, a broken invariant) fails, and the input is kept under build/fuzz/.
# Targets build and run FUZZ_JOBS at a time (default: one per core), each on its own core.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
jobs="${FUZZ_JOBS:-$(nproc)}"
out=build/fuzz
mkdir -p "$out"
CXX="${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++)}"
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all -Iinclude -Iexamples/io)
io=(examples/io/csv_reader.cpp examples/io/table.cpp examples/io/timefmt.cpp examples/io/paths.cpp
    examples/io/rules.cpp examples/io/rejects.cpp examples/io/output.cpp examples/io/output_file.cpp examples/io/signals.cpp
    examples/io/parquet_io.cpp)  # (parquet_io without Arrow: Parquet says it is not built in)
cli=(examples/cli/app/flags.cpp examples/cli/app/job_spec.cpp examples/cli/app/job_factory.cpp
     examples/cli/app/job_factory_zoned.cpp examples/cli/calendar_options.cpp)  # (no calendar)
targets=(csv_reader time_parsers number_roundtrip flags)
# The Parquet reader adapter, with the Arrow C++ of the project's pyarrow wheel (setup.sh).
pyarrow=$(.venv/bin/python -c 'import os, pyarrow; pyarrow.create_library_symlinks(); print(os.path.dirname(pyarrow.__file__))' 2>/dev/null || true)
[[ -n "$pyarrow" ]] && targets+=(parquet_reader)
for target in "${targets[@]}"; do
  sources=("${io[@]}")
  extra=()
  [[ $target == flags ]] && sources+=("${cli[@]}")
  [[ $target == parquet_reader ]] &&
    extra=(-isystem "$pyarrow/include" -DTSFILL_CLI_HAVE_PARQUET -L"$pyarrow" -lparquet -larrow
           "-Wl,-rpath,$pyarrow")
  if [[ ! -x "$out/$target" || "tests/fuzz/${target}_fuzz.cpp" -nt "$out/$target" ]] ||
     [[ -n "$(find examples/io examples/cli/app include -newer "$out/$target" -name '*.?pp' \
              -print -quit)" ]]; then
    echo "== building $target"
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n; done
    "$CXX" "${flags[@]}" -Iexamples/cli "tests/fuzz/${target}_fuzz.cpp" "${sources[@]}" \
      "${extra[@]}" -lpthread -o "$out/$target" &
  fi
done
for build in $(jobs -p); do wait "$build"; done  # (a failed build fails the script here)

fuzz() {  # fuzz TARGET: runs it from a copy of its corpus; log and exit code in build/fuzz/
  local target=$1 corpus="$out/corpus-$1"
  rm -rf "$corpus" && mkdir -p "$corpus"
  cp tests/fuzz/corpus/"$target"/* "$corpus"/
  cd "$out"
  local code=0
  "./$target" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "corpus-$target" > "$target.log" 2>&1 || code=$?
  echo "$code" > "$target.exit"
}
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  rm -f "$out/$target.exit"
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
  fuzz "$target" &
done
wait
status=0
for target in "${targets[@]}"; do
  if [[ "$(cat "$out/$target.exit" 2>/dev/null)" != 0 ]]; then
    echo "$target: FINDING (build/fuzz/$target.log, the input in build/fuzz/)" >&2
    tail -n 40 "$out/$target.log" >&2
    status=1
  fi
  echo -n "$target: "
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$out/$target.log" | tr '\n' ' ' || true
  echo
done
exit $status
