// The reference workload of research/performance.md (and of workload.py), generated in
// C++ for the benchmarks that run alone: 100 tickers x 10 tenors, DAYS days x 48 slots of
// 30 min, each (key, slot) observed with p = 0.95 and duplicated with p = 0.05, four value
// columns null with p = 0.10, rows in time order with keys interleaved (or shuffled).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <tsfill/tsfill.hpp>

namespace tsfill_bench {

struct workload {
  std::vector<std::int64_t> ts;
  std::vector<std::int32_t> ticker, tenor;
  std::vector<std::vector<double>> values;
  std::vector<std::vector<std::uint8_t>> validity;  // Arrow bitmaps

  tsfill::table_view<> view() const {
    tsfill::table_view<> t{
        ts, {tsfill::key_column("ticker", ticker), tsfill::key_column("tenor", tenor)}, {}};
    for (std::size_t k = 0; k < values.size(); ++k)
      t.values.emplace_back("v" + std::to_string(k), values[k], validity[k]);
    return t;
  }
  std::size_t input_bytes() const {
    return ts.size() * (8 + 4 + 4) + values.size() * ts.size() * 8 +
           values.size() * validity[0].size();
  }
};

inline workload make_workload(int days, bool shuffled = false, int tickers = 100, int tenors = 10) {
  constexpr std::int64_t slot = 30LL * 60 * 1'000'000'000, start = 1'704'067'200'000'000'000LL;
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(0, 1);
  struct row {
    std::int64_t ts;
    std::int32_t key;
  };
  std::vector<row> rows;
  const int keys = tickers * tenors;
  for (std::int64_t s = 0; s < static_cast<std::int64_t>(days) * 48; ++s) {
    for (int k = 0; k < keys; ++k) {
      if (u(rng) >= 0.95) continue;
      const int copies = u(rng) < 0.05 ? 2 : 1;
      for (int c = 0; c < copies; ++c)
        rows.push_back(
            {start + s * slot + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(slot)),
             k});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.ts < b.ts; });
  if (shuffled) std::shuffle(rows.begin(), rows.end(), rng);
  workload w;
  const std::size_t n = rows.size();
  w.values.assign(4, std::vector<double>(n));
  w.validity.assign(4, std::vector<std::uint8_t>((n + 7) / 8, 0));
  std::vector<double> walk(static_cast<std::size_t>(keys), 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    w.ts.push_back(rows[i].ts);
    w.ticker.push_back(rows[i].key / tenors);
    w.tenor.push_back((rows[i].key % tenors) * 30 + 30);
    walk[static_cast<std::size_t>(rows[i].key)] += (u(rng) - 0.5) * 0.01;
    for (std::size_t k = 0; k < 4; ++k) {
      w.values[k][i] = walk[static_cast<std::size_t>(rows[i].key)] + static_cast<double>(k);
      if (u(rng) >= 0.10)
        w.validity[k][i / 8] = static_cast<std::uint8_t>(w.validity[k][i / 8] | 1U << (i % 8));
    }
  }
  return w;
}

}  // namespace tsfill_bench
