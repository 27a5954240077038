// The grid stages alone on the reference workload: indexing rows (keys, slots, partitions,
// groups), laying out the grid, and the dedup + scatter of rows onto it ("keep the latest row
// + left join" as one write per row to a computed cell: no hash join, no sort). The number of
// occupied cells is checked against a naive count before timing.
#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <tsfill/tsfill.hpp>

#include "bench_common.hpp"
#include "workload.hpp"

namespace {

using namespace std::chrono_literals;

void BM_grid_and_scatter(benchmark::State& state) {
  const int days = static_cast<int>(state.range(0));
  const bool shuffled = state.range(1) != 0;
  const tsfill_bench::workload w = tsfill_bench::make_workload(days, shuffled);
  const tsfill::tick_period ticks = tsfill::tick_period::of<std::chrono::nanoseconds>();
  const auto sf = tsfill::slot::fixed{30min}.bind(ticks);
  const auto pf = tsfill::partition::utc_day{}.bind(ticks);
  const auto gf = tsfill::grid::partition_span{}.bind({});
  const tsfill::table_view<> input = w.view();
  auto run = [&] {
    const tsfill::detail::grid_plan plan = tsfill::detail::plan_grid(
        input.time, input.keys, sf, pf, gf, tsfill::run_options{.max_cells = SIZE_MAX});
    return tsfill::detail::scatter_rows(tsfill::dedup::last{}, plan, input.time, input.keys);
  };
  {
    std::vector<std::pair<std::int64_t, std::int64_t>> naive;  // distinct (key, slot)
    for (std::size_t i = 0; i < w.ts.size(); ++i)
      naive.emplace_back(w.ticker[i] * 1000 + w.tenor[i],
                         tsfill::detail::floor_div(w.ts[i], 1'800'000'000'000LL));
    std::sort(naive.begin(), naive.end());
    naive.erase(std::unique(naive.begin(), naive.end()), naive.end());
    const auto s = run();
    std::size_t occupied = 0;
    for (const auto x : s.winner) occupied += x != tsfill::detail::no_index;
    if (occupied != naive.size())
      return state.SkipWithError("occupied cells differ from the naive count");
    if (s.duplicates != w.ts.size() - naive.size())
      return state.SkipWithError("duplicate count is wrong");
  }
  for (auto _ : state) benchmark::DoNotOptimize(run().winner.data());
  tsfill_bench::set_processed(state, w.ts.size(), w.input_bytes());
  state.SetLabel(std::to_string(w.ts.size()) + " rows" + (shuffled ? ", shuffled" : ""));
}

void args(benchmark::internal::Benchmark* b) {
  if (tsfill_bench::smoke()) {
    b->Args({2, 0});
    return;
  }
  for (const int days : {20, 200})
    for (const int shuffled : {0, 1}) b->Args({days, shuffled});
}

BENCHMARK(BM_grid_and_scatter)->Apply(args)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
