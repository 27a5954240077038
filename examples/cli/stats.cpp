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
void print_uniformity(const job_spec& o, const tsfill::uniformity_report& u, bool expected) {
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

run_summary summarize(const loaded_table& t, const tsfill::result& r,
                      const expected_slots_fn& expected) {
  run_summary s;
  s.rows_read = t.rows_read;
  s.rows_filtered = t.rows_filtered;
  s.rows_repeated = t.rows_repeated;
  s.rejected_by = t.rejected_by;
  const tsfill::run_stats& rs = r.stats();
  s.rows_outside_grid = rs.rows_outside_grid;
  s.duplicate_rows = rs.duplicate_rows;
  s.partitions = rs.partitions;
  s.keys = rs.keys;
  s.cells = rs.cells;
  s.uniformity = tsfill::check_uniform(r, expected);
  s.slot_counts_expected = static_cast<bool>(expected);
  for (const tsfill::result_column& c : r.values()) {
    s.value_names.push_back(c.name());
    for (int k = 0; k < tsfill::cell_status_count; ++k)
      s.cells_by_status.cells[static_cast<std::size_t>(k)] +=
          c.stats().cells[static_cast<std::size_t>(k)];
  }
  return s;
}

void run_summary::add_chunk(const run_summary& c) {
  rows_outside_grid += c.rows_outside_grid;
  duplicate_rows += c.duplicate_rows;
  partitions += c.partitions;
  cells += c.cells;
  uniformity.partitions += c.uniformity.partitions;
  uniformity.problems.insert(uniformity.problems.end(), c.uniformity.problems.begin(),
                             c.uniformity.problems.end());
  if (value_names.empty()) value_names = c.value_names;
  for (std::size_t k = 0; k < cells_by_status.cells.size(); ++k)
    cells_by_status.cells[k] += c.cells_by_status.cells[k];
}

void print_stats(const job_spec& o, const run_summary& s,
                 const std::vector<std::pair<std::string, double>>& stage_seconds) {
  std::fprintf(stderr, "tsfill stats\n");
  line("rows read", s.rows_read);
  line("rows filtered out (--where)", s.rows_filtered);
  for (std::size_t w = 0; w < o.where.size() && w < s.rejected_by.size(); ++w)
    line("  by " + o.where[w].text(), s.rejected_by[w]);
  if (!o.unique_columns.empty()) line("repeated records dropped", s.rows_repeated);
  line("rows outside the grid", s.rows_outside_grid);
  line("duplicate rows dropped", s.duplicate_rows);
  line("partitions", s.partitions);
  line("keys", s.keys);
  line("grid cells (output rows)", s.cells);
  print_uniformity(o, s.uniformity, s.slot_counts_expected);
  std::string names;
  for (const std::string& n : s.value_names) names += (names.empty() ? "" : ", ") + n;
  std::fprintf(stderr, "  value columns (%zu): %s\n", s.value_names.size(), names.c_str());
  const tsfill::column_stats& total = s.cells_by_status;
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
