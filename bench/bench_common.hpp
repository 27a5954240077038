// Helpers shared by the benchmarks: deterministic inputs, timing memcpy of the same bytes
// in the same process (the baseline every kernel is compared with), and size lists that
// shrink to one small size when TSFILL_BENCH_SMOKE is set (CI runs each benchmark once that
// way so none of them rots).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

namespace tsfill_bench {

// Items and bytes processed per iteration, as rates.
inline void set_processed(benchmark::State& state, std::size_t items, std::size_t bytes) {
  const auto it = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(it * static_cast<std::int64_t>(items));
  state.SetBytesProcessed(it * static_cast<std::int64_t>(bytes));
}

inline bool smoke() {
  return std::getenv("TSFILL_BENCH_SMOKE") != nullptr;
}

// Element counts: L2-resident, L3/DRAM boundary, DRAM, and >= 100 M.
inline std::vector<std::int64_t> sizes() {
  if (smoke()) return {1 << 12};
  return {1 << 17, 1 << 21, 1 << 24, 100'000'000};
}

// Validity bitmap with null probability `null_pct` percent (fixed seed).
inline std::vector<std::uint8_t> random_bitmap(std::size_t n, int null_pct,
                                               std::uint32_t seed = 42) {
  std::vector<std::uint8_t> bits((n + 7) / 8, 0);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pct(0, 99);
  for (std::size_t i = 0; i < n; ++i)
    if (pct(rng) >= null_pct) bits[i / 8] = static_cast<std::uint8_t>(bits[i / 8] | 1U << (i % 8));
  return bits;
}

// Median seconds of `reps` calls of f (warm).
template <class F>
double median_seconds(F&& f, int reps = 7) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    benchmark::ClobberMemory();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// The kernel against memcpy of the same bytes, both timed the same way here (median of 7
// warm calls): vs_memcpy = memcpy time / kernel time, so 0.8 is 80 % of memcpy's speed.
template <class Kernel>
void report_vs_memcpy(benchmark::State& state, void* dst, const void* src, std::size_t bytes,
                      Kernel&& kernel) {
  const double m = median_seconds([&] { std::memcpy(dst, src, bytes); });
  const double k = median_seconds(kernel);
  state.counters["vs_memcpy"] = m / k;
}

}  // namespace tsfill_bench
