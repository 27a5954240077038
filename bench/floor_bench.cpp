// Floor to slot: timestamps (int64 ns) to slot ordinals for a slot width known only at run
// time, by hardware division (what Polars' dt.truncate and DuckDB's time_bucket do per row)
// and by tsfill's multiply-shift division (detail/fast_divide.hpp). Also the whole per-row
// indexing step of the pipeline (slot ordinal + partition), for scale. Outputs are compared
// before timing.
#include <cstdint>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

#include <tsfill/tsfill.hpp>

#include "bench_common.hpp"

namespace {

constexpr std::int64_t slot_ns = 30LL * 60 * 1'000'000'000;

std::vector<std::int64_t> timestamps(std::size_t n) {
  std::vector<std::int64_t> t(n);
  std::mt19937_64 rng(1);
  for (auto& x : t)
    x = 1'704'067'200'000'000'000LL +
        static_cast<std::int64_t>(rng() % (200ULL * 86'400'000'000'000ULL));
  return t;
}

// Hardware division; the width comes from the benchmark's arguments, so the compiler
// cannot turn the division into a multiplication.
void floor_idiv(const std::int64_t* t, std::size_t n, std::int64_t width, std::int64_t* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = tsfill::detail::floor_div(t[i], width);
}

void floor_fast(const std::int64_t* t, std::size_t n, std::int64_t width, std::int64_t* out) {
  // Relative to a base below every timestamp, so the dividends are non-negative.
  const std::int64_t base = tsfill::detail::floor_div(t[0], width) * width - width * 1024;
  const std::int64_t base_ord = base / width;
  const tsfill::detail::fast_divider d(static_cast<std::uint64_t>(width));
  for (std::size_t i = 0; i < n; ++i)
    out[i] =
        base_ord + static_cast<std::int64_t>(d.divide(static_cast<std::uint64_t>(t[i] - base)));
}

template <bool Fast>
void BM_floor(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::int64_t width = state.range(1) * 1'000'000'000LL;
  std::vector<std::int64_t> t = timestamps(n);
  std::sort(t.begin(), t.end());  // base below every timestamp for floor_fast
  std::vector<std::int64_t> out(n), check(n);
  floor_idiv(t.data(), n, width, check.data());
  (Fast ? floor_fast : floor_idiv)(t.data(), n, width, out.data());
  if (out != check) return state.SkipWithError("multiply-shift floor differs from division");
  for (auto _ : state) {
    (Fast ? floor_fast : floor_idiv)(t.data(), n, width, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  tsfill_bench::set_processed(state, n, n * 16);
  tsfill_bench::report_vs_memcpy(state, out.data(), t.data(), n * 8, [&] {
    (Fast ? floor_fast : floor_idiv)(t.data(), n, width, out.data());
  });
}

void args(benchmark::internal::Benchmark* b) {
  for (const auto n : tsfill_bench::sizes())
    if (n <= (1 << 24)) b->Args({n, 1800});
}

BENCHMARK(BM_floor<false>)
    ->Name("floor/idiv")
    ->Apply(args)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_floor<true>)
    ->Name("floor/multiply_shift")
    ->Apply(args)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
