// Forward and backward fill kernels over an Arrow validity bitmap (and NaN-as-missing), for
// every instruction set the CPU supports, against memcpy of the same bytes in the same run.
// Counters: bytes/s and items/s (the kernel reads and writes 8 B per double), vs_memcpy
// (memcpy seconds / kernel seconds; 0.8 means 80 % of memcpy's speed). The output is
// checked against the scalar kernel before timing.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <tsfill/tsfill.hpp>

#include "bench_common.hpp"

namespace {

using tsfill::detail::isa;

template <class T, bool Forward, bool Nan>
void BM_fill(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int null_pct = static_cast<int>(state.range(1));
  const auto which = static_cast<isa>(state.range(2));
  if (which > tsfill::detail::supported_isa()) return state.SkipWithError("ISA not supported here");
  std::vector<T> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<T>(i % 1000);
  const std::vector<std::uint8_t> bits = tsfill_bench::random_bitmap(n, null_pct);
  if constexpr (Nan)
    for (std::size_t i = 0; i < n; ++i)
      if (!tsfill::bit_is_set(bits.data(), i)) in[i] = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> out(n), check(n);
  std::vector<std::uint8_t> out_bits((n + 7) / 8), check_bits((n + 7) / 8);
  auto run = [&](isa i, std::vector<T>& o, std::vector<std::uint8_t>& ob) {
    tsfill::detail::fill_state<T> st;
    if constexpr (Nan) {
      if (Forward)
        tsfill::detail::forward_fill_nan(i, in.data(), n, o.data(), ob.data(), st);
      else
        tsfill::detail::backward_fill_nan(i, in.data(), n, o.data(), ob.data(), st);
    } else {
      if (Forward)
        tsfill::detail::forward_fill_bitmap(i, in.data(), bits.data(), 0, n, o.data(), ob.data(),
                                            st);
      else
        tsfill::detail::backward_fill_bitmap(i, in.data(), bits.data(), 0, n, o.data(), ob.data(),
                                             st);
    }
  };
  // Verify against the scalar kernel before timing anything.
  run(which, out, out_bits);
  run(isa::scalar, check, check_bits);
  for (std::size_t i = 0; i < n; ++i) {
    const bool ok = std::memcmp(&out[i], &check[i], sizeof(T)) == 0 ||
                    (out[i] != out[i] && check[i] != check[i]);
    if (!ok) return state.SkipWithError("output differs from the scalar kernel");
  }
  if (out_bits != check_bits) return state.SkipWithError("validity differs from the scalar kernel");

  for (auto _ : state) {
    run(which, out, out_bits);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  tsfill_bench::set_processed(state, n, n * sizeof(T) * 2);
  tsfill_bench::report_vs_memcpy(state, out.data(), in.data(), n * sizeof(T),
                                 [&] { run(which, out, out_bits); });
  state.SetLabel(std::string(tsfill::detail::to_string(which)) + " nulls " +
                 std::to_string(null_pct) + "%");
}

// Linear interpolation over a bitmap (reads values and validity, writes values and validity).
template <class T>
void BM_linear(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int null_pct = static_cast<int>(state.range(1));
  std::vector<T> in(n);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<T>(i % 1000);
  const std::vector<std::uint8_t> bits = tsfill_bench::random_bitmap(n, null_pct);
  std::vector<T> out(n), check(n);
  std::vector<std::uint8_t> out_bits((n + 7) / 8), check_bits((n + 7) / 8);
  tsfill::detail::linear_fill_bitmap(in.data(), bits.data(), 0, n, out.data(), out_bits.data());
  if (n <= (1U << 22)) {  // the reference searches neighbours per element: check moderate sizes
    tsfill::detail::scalar::linear_fill_bitmap(in.data(), bits.data(), 0, n, check.data(),
                                               check_bits.data());
    if (out_bits != check_bits) return state.SkipWithError("validity differs from the reference");
    for (std::size_t i = 0; i < n; ++i)
      if (tsfill::bit_is_set(out_bits.data(), i) && out[i] != check[i])
        return state.SkipWithError("values differ from the reference");
  }
  for (auto _ : state) {
    tsfill::detail::linear_fill_bitmap(in.data(), bits.data(), 0, n, out.data(), out_bits.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  tsfill_bench::set_processed(state, n, n * sizeof(T) * 2);
  tsfill_bench::report_vs_memcpy(state, out.data(), in.data(), n * sizeof(T), [&] {
    tsfill::detail::linear_fill_bitmap(in.data(), bits.data(), 0, n, out.data(), out_bits.data());
  });
  state.SetLabel("nulls " + std::to_string(null_pct) + "%");
}

// The form the pipeline runs on every segment: values and per-cell status bytes in, filled
// values and updated status out (forward_fill_status, fill::forward without options).
template <class T>
void BM_fill_status(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const int null_pct = static_cast<int>(state.range(1));
  const auto which = static_cast<isa>(state.range(2));
  if (which > tsfill::detail::supported_isa()) return state.SkipWithError("ISA not supported here");
  const std::vector<std::uint8_t> bits = tsfill_bench::random_bitmap(n, null_pct);
  std::vector<T> in(n);
  std::vector<tsfill::cell_status> status0(n);
  for (std::size_t i = 0; i < n; ++i) {
    const bool obs = tsfill::bit_is_set(bits.data(), i);
    in[i] = obs ? static_cast<T>(i % 1000) : tsfill::null_placeholder<T>();
    status0[i] = obs ? tsfill::cell_status::observed : tsfill::cell_status::missing;
  }
  std::vector<T> out(n), check(n);
  std::vector<tsfill::cell_status> status(status0), check_status(status0);
  auto run = [&](isa i, std::vector<T>& o, std::vector<tsfill::cell_status>& st) {
    std::copy(status0.begin(), status0.end(), st.begin());  // the fill updates statuses
    tsfill::detail::forward_fill_status(i, in.data(), o.data(), st.data(), n);
  };
  run(which, out, status);
  run(isa::scalar, check, check_status);
  if (std::memcmp(out.data(), check.data(), n * sizeof(T)) != 0 || status != check_status)
    return state.SkipWithError("output differs from the scalar kernel");
  for (auto _ : state) {
    run(which, out, status);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  // Bytes: values in and out, statuses copied in (the reset) and updated.
  tsfill_bench::set_processed(state, n, n * (sizeof(T) * 2 + 2));
  tsfill_bench::report_vs_memcpy(state, out.data(), in.data(), n * sizeof(T),
                                 [&] { run(which, out, status); });
  state.SetLabel(std::string(tsfill::detail::to_string(which)) + " nulls " +
                 std::to_string(null_pct) + "%");
}

// memcpy itself, for the same sizes (bytes/s comparable with the kernels').
void BM_memcpy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<double> in(n, 1.0), out(n);
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), n * sizeof(double));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  tsfill_bench::set_processed(state, n, n * sizeof(double) * 2);
}

void sizes_only(benchmark::internal::Benchmark* b) {
  for (const auto n : tsfill_bench::sizes()) b->Args({n});
}
// double: every ISA, every null rate; the others at 10 % on the best ISA.
void all_null_rates(benchmark::internal::Benchmark* b) {
  for (const auto n : tsfill_bench::sizes())
    for (const int pct : {0, 1, 10, 50, 99})
      for (const int i : {0, 1, 2}) b->Args({n, pct, i});
}
void ten_percent(benchmark::internal::Benchmark* b) {
  for (const auto n : tsfill_bench::sizes())
    b->Args({n, 10, static_cast<int>(tsfill::detail::supported_isa())});
}

BENCHMARK(BM_memcpy)->Apply(sizes_only)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<double, true, false>)
    ->Name("ffill_bitmap/double")
    ->Apply(all_null_rates)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<double, false, false>)
    ->Name("bfill_bitmap/double")
    ->Apply(ten_percent)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<float, true, false>)
    ->Name("ffill_bitmap/float")
    ->Apply(ten_percent)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<std::int64_t, true, false>)
    ->Name("ffill_bitmap/int64")
    ->Apply(ten_percent)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<double, true, true>)
    ->Name("ffill_nan/double")
    ->Apply(ten_percent)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_fill<double, false, true>)
    ->Name("bfill_nan/double")
    ->Apply(ten_percent)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_fill_status<double>)
    ->Name("ffill_status/double")
    ->Apply(all_null_rates)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void linear_args(benchmark::internal::Benchmark* b) {
  for (const auto n : tsfill_bench::sizes())
    for (const int pct : {10, 50}) b->Args({n, pct});
}
BENCHMARK(BM_linear<double>)
    ->Name("linear_bitmap/double")
    ->Apply(linear_args)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
