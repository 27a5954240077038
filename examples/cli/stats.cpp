#include "stats.hpp"

#include <cstdio>

#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

std::string grouped(std::size_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

void line(const std::string& label, std::size_t n) {
  std::fprintf(stderr, "  %-28s %15s\n", label.c_str(), grouped(n).c_str());
}

// "uniform slots: yes ..." or the partitions whose keys differ (or miss the expected count).
void print_uniformity(const job_spec& o, const tsfill::result& r,
                      const expected_slots_fn& expected) {
  const tsfill::uniformity_report u = tsfill::check_uniform(r, expected);
  const char* what =
      expected ? "every key has the session's slot count" : "every key has as many slots";
  if (u.uniform()) {
    std::fprintf(stderr, "  uniform slots: yes, %s in all %s partitions\n", what,
                 grouped(u.partitions).c_str());
    return;
  }
  std::fprintf(stderr, "  uniform slots: NO, %s of %s partitions differ:\n",
               grouped(u.problems.size()).c_str(), grouped(u.partitions).c_str());
  constexpr std::size_t shown = 10;
  for (std::size_t i = 0; i < u.problems.size() && i < shown; ++i) {
    const tsfill::partition_shape& p = u.problems[i];
    std::string line = "    " + (o.partition_by_day ? format_date(p.partition) : "all rows") +
                       ": " + std::to_string(p.keys) + " keys with " + std::to_string(p.min_slots);
    if (p.max_slots != p.min_slots) line += " to " + std::to_string(p.max_slots);
    line += " slots";
    if (p.expected) line += ", expected " + std::to_string(*p.expected);
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  if (u.problems.size() > shown)
    std::fprintf(stderr, "    ... and %zu more\n", u.problems.size() - shown);
}

}  // namespace

void print_stats(const job_spec& o, const loaded_table& t, const tsfill::result& r,
                 const std::vector<std::pair<std::string, double>>& stage_seconds,
                 const expected_slots_fn& expected) {
  const tsfill::run_stats& s = r.stats();
  std::fprintf(stderr, "tsfill stats\n");
  line("rows read", t.rows_read);
  line("rows filtered out (--where)", t.rows_filtered);
  for (std::size_t w = 0; w < o.where.size() && w < t.rejected_by.size(); ++w)
    line("  by " + o.where[w].text(), t.rejected_by[w]);
  if (!o.unique_columns.empty()) line("repeated records dropped", t.rows_repeated);
  line("rows outside the grid", s.rows_outside_grid);
  line("duplicate rows dropped", s.duplicate_rows);
  line("partitions", s.partitions);
  line("keys", s.keys);
  line("grid cells (output rows)", s.cells);
  print_uniformity(o, r, expected);
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
