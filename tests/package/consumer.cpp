// A consumer project's program: the reference scenario through the installed / added /
// fetched package, built with -Wall -Wextra -Werror.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tsfill/tsfill.hpp>
#ifdef TSFILL_CONSUMER_EIGEN
#include <tsfill/eigen.hpp>
#endif
#ifdef TSFILL_CONSUMER_CALENDAR
#include <tsfill/calendar.hpp>
#endif
#ifdef TSFILL_CONSUMER_BACKFILL
#include <cstdio>
#include <string>

#include <tsfill/backfill.hpp>
#endif

int main() {
  using namespace std::chrono_literals;
  const std::vector<std::int64_t> ts = {0, 3'600'000'000'000LL};
  const std::vector<std::int32_t> ticker = {7, 7};
  const std::vector<double> vol = {0.25, 0.5};
  const tsfill::table_view<> silver{
      ts, {tsfill::key_column("ticker", ticker)}, {tsfill::value_column("vol", vol)}};
  const tsfill::result gold = tsfill::pipeline{.slot = tsfill::slot::fixed{30min}}.run(silver);
  std::printf("tsfill %d.%d.%d: %zu rows\n", TSFILL_VERSION_MAJOR, TSFILL_VERSION_MINOR,
              TSFILL_VERSION_PATCH, gold.rows());
#ifdef TSFILL_CONSUMER_EIGEN
  if (tsfill::eigen::filled_matrix<double>(gold)(1, 0) != 0.25) return 1;
#endif
#ifdef TSFILL_CONSUMER_CALENDAR
  if (!tsfill::calendar::trading_calendar::nyse().session(
          std::chrono::sys_days{std::chrono::days{19'724}}))
    return 1;  // 2024-01-02 is a session
#endif
#ifdef TSFILL_CONSUMER_BACKFILL
  {  // the planner and engine over a real SQLite store (links SQLite through the target)
    namespace bf = tsfill::backfill;
    const std::string db = "consumer-state.db";
    std::remove(db.c_str());
    bf::sqlite_store store(db);
    store.open_backfill("x", "job", 1);
    const auto batches = bf::make_batches({1, 2, 3}, {1, 2, 3}, 2, false);
    const auto s = bf::run(
        store, "x", batches,
        [](const bf::batch& b) {
          std::vector<bf::partition_result> out;
          for (const std::int64_t p : b.targets) out.push_back({p, 1, 1, "c"});
          return out;
        },
        bf::engine_options{});
    if (s.complete != 3 || store.partitions("x").at(2).status != bf::partition_status::complete)
      return 1;
  }
#endif
  return gold.rows() == 3 && gold.value(0).filled<double>()[1] == 0.25 ? 0 : 1;
}
