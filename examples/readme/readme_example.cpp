// docs/library.md's first example, compiled and run by the tests (tests/docs checks the copy).
#include <chrono>
#include <cstdio>
#include <vector>

#include <tsfill/tsfill.hpp>

int main() {
  using namespace std::chrono_literals;
  // Silver rows: event time (ns, UTC), ticker code, tenor, vol; rows in any order.
  std::vector<std::int64_t> time = {1709544660'000000000, 1709545500'000000000,
                                    1709548200'000000000, 1709545000'000000000};
  std::vector<std::int32_t> ticker = {1, 1, 1, 2};
  std::vector<std::int32_t> days = {30, 30, 30, 30};
  std::vector<double> vol = {0.21, 0.22, 0.25, 0.40};
  std::vector<std::uint8_t> vol_valid = {0b1011};  // Arrow bitmap: row 2 is null

  tsfill::table_view<> silver{
      time,
      {tsfill::key_column("ticker", ticker), tsfill::key_column("days", days)},
      {tsfill::value_column("volATM", vol, vol_valid)}};

  // 30-minute slots, UTC days, latest row per slot, grid per day over all keys, LOCF.
  tsfill::pipeline gold_job{.slot = tsfill::slot::fixed{30min}};
  tsfill::result gold = gold_job.run(silver);

  const tsfill::result_column& v = gold.value("volATM");
  for (const tsfill::segment& s : gold.segments()) {
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
      std::printf("day %lld ticker %lld slot %lld: %s -> %.2f (%s)\n",
                  static_cast<long long>(s.partition),
                  static_cast<long long>(gold.distinct_keys(0)[s.key]),
                  static_cast<long long>(gold.slot_times()[i] / 1'000'000'000),
                  v.original_valid(i) ? "observed" : "null", v.filled<double>()[i],
                  tsfill::to_string(v.status()[i]));
    }
  }
}
