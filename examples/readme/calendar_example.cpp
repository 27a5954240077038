// docs/library.md's calendar example (tests/docs checks the copy): NYSE sessions in New York.
#include <chrono>
#include <cstdio>
#include <vector>

#include <tsfill/calendar.hpp>
#include <tsfill/tsfill.hpp>

int main() {
  using namespace std::chrono_literals;
  namespace ts = tsfill;
  // Quotes of one ticker (ns, UTC): 2024-07-02 10:05 and 15:40 New York time, 07-03 10:15
  // (an early close), 07-04 11:00 (Independence Day).
  std::vector<std::int64_t> time = {1719929100'000000000, 1719949200'000000000,
                                    1720016100'000000000, 1720105200'000000000};
  std::vector<double> px = {100.0, 101.5, 99.0, 98.0};
  ts::table_view<> quotes{time, {}, {ts::value_column("px", px)}};

  // New York trading days, 30-minute slots from 09:30, NYSE holidays and early closes;
  // the first slot of a day takes the previous session's last price (carry-in).
  const ts::time_zone ny("America/New_York");
  const ts::slot::local slot{30min, ny};
  const ts::grid::session grid{ts::calendar::trading_calendar::nyse(), ny};
  const ts::pipeline<ts::slot::local, ts::partition::local_day, ts::dedup::last, ts::grid::session>
      job{.slot = slot, .partition = {ny}, .grid = grid, .fill = {.carry_in = true}};
  const ts::result r = job.run(quotes);

  for (const ts::segment& s : r.segments())
    std::printf("day %lld: %zu slots, first %.1f (%s)\n", static_cast<long long>(s.partition),
                s.size, r.value("px").filled<double>()[s.offset],
                ts::to_string(r.value("px").status()[s.offset]));
  std::printf("rows outside a session: %zu\n", r.stats().rows_outside_grid);
  std::printf("uniform, as the calendar says: %s\n",
              ts::check_uniform(r, grid.expected_slots(slot)).uniform() ? "yes" : "no");
}
