// The reference scenario in code: an options desk's silver rows (irregular, duplicated,
// gappy) become a gold grid with the same number of 30-minute snapshots per trading day,
// ticker and tenor, forward-filled within each day.
//
// The rows are generated here (deterministically); the tsfill command line does the same
// job on CSV and Parquet files.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <tsfill/tsfill.hpp>

namespace {

struct silver_table {
  std::vector<std::int64_t> time;  // event time, ns since the epoch (UTC)
  std::vector<std::string> ticker;
  std::vector<std::int32_t> days;  // tenor
  std::vector<double> vol_atm;
  std::vector<std::uint8_t> vol_atm_valid;  // Arrow bitmap
};

// 3 tickers x 2 tenors, 3 trading days, rows every ~25 minutes with gaps, duplicates
// and null values.
silver_table make_silver() {
  using namespace std::chrono;
  silver_table t;
  std::mt19937_64 rng(42);
  const char* tickers[] = {"AAPL", "MSFT", "SPY"};
  const std::int32_t tenors[] = {30, 90};
  std::size_t row = 0;
  for (int d = 0; d < 3; ++d) {
    const sys_days day = sys_days{2024y / 3 / 4} + days{d};
    for (const char* tk : tickers) {
      for (const std::int32_t tenor : tenors) {
        for (auto ts = day + 13h + 30min; ts < day + 20h; ts += minutes(15 + rng() % 20)) {
          if (rng() % 6 == 0) continue;  // a gap
          t.time.push_back(duration_cast<nanoseconds>(ts.time_since_epoch()).count());
          t.ticker.emplace_back(tk);
          t.days.push_back(tenor);
          t.vol_atm.push_back(0.2 + static_cast<double>(rng() % 1000) / 10000.0);
          if (t.vol_atm_valid.size() * 8 <= row) t.vol_atm_valid.push_back(0);
          if (rng() % 8 != 0)  // 1 in 8 values is null
            t.vol_atm_valid[row / 8] =
                static_cast<std::uint8_t>(t.vol_atm_valid[row / 8] | (1U << (row % 8)));
          ++row;
        }
      }
    }
  }
  return t;
}

std::string utc(std::int64_t ns) {
  using namespace std::chrono;
  const sys_seconds s = floor<seconds>(sys_time<nanoseconds>(nanoseconds(ns)));
  const sys_days d = floor<days>(s);
  const year_month_day ymd(d);
  const hh_mm_ss hms(s - d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02ld:%02ld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()));
  return buf;
}

}  // namespace

int main() {
  using namespace std::chrono_literals;
  const silver_table silver = make_silver();

  // Strings become dictionary codes (in sorted order); the other columns are used in place.
  const tsfill::dictionary tickers = tsfill::dictionary::encode(silver.ticker);
  tsfill::table_view<std::chrono::nanoseconds> input;
  input.time = silver.time;
  input.keys = {tsfill::key_column("ticker", tickers.codes()),
                tsfill::key_column("days", silver.days)};
  input.values = {tsfill::value_column("volATM", silver.vol_atm, silver.vol_atm_valid)};

  // The reference scenario: 30-minute slots, UTC trading days, the latest row per slot,
  // one grid per day over all keys, forward fill within the day.
  const tsfill::pipeline gold_job{.slot = tsfill::slot::fixed{30min}};
  const tsfill::result gold = gold_job.run(input);

  std::printf("%zu silver rows -> %zu gold rows (%zu partitions x %zu keys)\n",
              gold.stats().rows_in, gold.rows(), gold.stats().partitions, gold.stats().keys);
  std::printf("duplicates dropped: %zu\n", gold.stats().duplicate_rows);
  const tsfill::result_column& vol = gold.value("volATM");
  std::printf("volATM cells: %zu observed, %zu forward-filled, %zu still missing\n",
              vol.stats()[tsfill::cell_status::observed], vol.stats()[tsfill::cell_status::forward],
              vol.stats()[tsfill::cell_status::missing]);
  std::printf("\n%-16s %-6s %-4s %-9s %-9s %s\n", "slot_ts", "ticker", "days", "volATM",
              "volATM_bf", "status");
  const tsfill::segment& s = gold.segments()[0];
  for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
    char orig[16] = "", filled[16] = "";
    if (vol.original_valid(i)) std::snprintf(orig, sizeof orig, "%.4f", vol.original<double>()[i]);
    if (vol.filled_valid(i)) std::snprintf(filled, sizeof filled, "%.4f", vol.filled<double>()[i]);
    std::printf("%-16s %-6s %-4lld %-9s %-9s %s\n", utc(gold.slot_times()[i]).c_str(),
                tickers.word(gold.distinct_keys(0)[s.key]).c_str(),
                static_cast<long long>(gold.distinct_keys(1)[s.key]), orig, filled,
                tsfill::to_string(vol.status()[i]));
  }
  // Every key has the same number of slots in each partition.
  for (const tsfill::segment& seg : gold.segments()) {
    for (const tsfill::segment& other : gold.segments())
      if (other.partition == seg.partition && other.size != seg.size) return 1;
  }
  return 0;
}
