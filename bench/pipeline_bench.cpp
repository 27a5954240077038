// The whole reference pipeline (and its first stages alone) on the reference workload, at
// 1 and 2 threads, time-ordered and shuffled. Before timing, every configuration's output is
// compared with a run on one thread with the scalar kernels: same rows, same cells.
#include <chrono>
#include <cstring>
#include <map>
#include <memory>

#include <benchmark/benchmark.h>

#include <tsfill/tsfill.hpp>

#include "bench_common.hpp"
#include "workload.hpp"

namespace {

using namespace std::chrono_literals;

const tsfill_bench::workload& cached_workload(int days, bool shuffled) {
  static std::map<std::pair<int, bool>, std::unique_ptr<tsfill_bench::workload>> cache;
  auto& w = cache[{days, shuffled}];
  if (!w) w = std::make_unique<tsfill_bench::workload>(tsfill_bench::make_workload(days, shuffled));
  return *w;
}

bool same_result(const tsfill::result& a, const tsfill::result& b) {
  if (a.rows() != b.rows() || a.segments().size() != b.segments().size()) return false;
  if (std::memcmp(a.slot_times().data(), b.slot_times().data(), a.rows() * 8) != 0) return false;
  for (std::size_t c = 0; c < a.value_count(); ++c) {
    const auto& x = a.value(c);
    const auto& y = b.value(c);
    if (!std::equal(x.status().begin(), x.status().end(), y.status().begin())) return false;
    for (std::size_t i = 0; i < a.rows(); ++i)
      if (x.filled_valid(i) && x.filled<double>()[i] != y.filled<double>()[i]) return false;
  }
  return true;
}

void BM_pipeline(benchmark::State& state) {
  const int days = static_cast<int>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  const bool shuffled = state.range(2) != 0;
  const tsfill_bench::workload& w = cached_workload(days, shuffled);
  const tsfill::table_view<> input = w.view();
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{30min}};
  tsfill::run_options options;
  options.threads = threads;
  {
    tsfill::detail::force_isa(0);
    tsfill::run_options one;
    const tsfill::result check = job.run(input, one);
    tsfill::detail::force_isa(-1);
    const tsfill::result out = job.run(input, options);
    if (!same_result(out, check))
      return state.SkipWithError("output differs from the 1-thread scalar run");
    if (out.rows() != static_cast<std::size_t>(days) * 48 * 1000)
      return state.SkipWithError("unexpected row count");
  }
  std::size_t cells = 0;
  for (auto _ : state) {
    const tsfill::result out = job.run(input, options);
    cells = out.rows();
    benchmark::DoNotOptimize(out.rows());
  }
  tsfill_bench::set_processed(state, w.ts.size(), w.input_bytes());
  state.counters["ns_per_cell"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(cells),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(std::to_string(w.ts.size()) + " rows" + (shuffled ? ", shuffled" : ""));
}

void args(benchmark::internal::Benchmark* b) {
  if (tsfill_bench::smoke()) {
    b->Args({2, 1, 0})->Args({2, 2, 1});
    return;
  }
  for (const int days : {20, 200})
    for (const int threads : {1, 2})
      for (const int shuffled : {0, 1}) b->Args({days, threads, shuffled});
}

BENCHMARK(BM_pipeline)
    ->Apply(args)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(tsfill_bench::smoke() ? 0.01 : 2.0);

}  // namespace

BENCHMARK_MAIN();
