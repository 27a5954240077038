#include "stats.hpp"

#include <cstdio>

namespace tsfill_cli {
namespace {

std::string grouped(std::size_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

void line(const char* label, std::size_t n) {
  std::fprintf(stderr, "  %-28s %15s\n", label, grouped(n).c_str());
}

}  // namespace

void print_stats(const loaded_table& t, const tsfill::result& r,
                 const std::vector<std::pair<std::string, double>>& stage_seconds) {
  const tsfill::run_stats& s = r.stats();
  std::fprintf(stderr, "tsfill stats\n");
  line("rows read", t.rows_read);
  line("rows filtered out (--where)", t.rows_filtered);
  line("rows outside the grid", s.rows_outside_grid);
  line("duplicate rows dropped", s.duplicate_rows);
  line("partitions", s.partitions);
  line("keys", s.keys);
  line("grid cells (output rows)", s.cells);
  tsfill::column_stats total;
  for (const tsfill::result_column& c : r.values())
    for (int k = 0; k < tsfill::cell_status_count; ++k)
      total.cells[static_cast<std::size_t>(k)] += c.stats().cells[static_cast<std::size_t>(k)];
  std::string names;
  for (const tsfill::result_column& c : r.values()) names += (names.empty() ? "" : ", ") + c.name();
  std::fprintf(stderr, "  value columns (%zu): %s\n", r.value_count(), names.c_str());
  line("cells observed", total[tsfill::cell_status::observed]);
  line("cells filled forward", total[tsfill::cell_status::forward]);
  line("cells filled backward", total[tsfill::cell_status::backward]);
  line("cells interpolated", total[tsfill::cell_status::interpolated]);
  line("cells filled with a constant", total[tsfill::cell_status::constant]);
  line("cells still missing", total[tsfill::cell_status::missing]);
  std::string stages;
  double sum = 0;
  for (const auto& [name, secs] : stage_seconds) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s%s %.3f", stages.empty() ? "" : ", ", name.c_str(), secs);
    stages += buf;
    sum += secs;
  }
  std::fprintf(stderr, "  seconds: %s; total %.3f\n", stages.c_str(), sum);
}

}  // namespace tsfill_cli
