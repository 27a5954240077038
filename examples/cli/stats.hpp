// The --stats summary: one screen on stderr.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <tsfill/tsfill.hpp>
#include <tsfill/validate.hpp>

#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "table.hpp"

namespace tsfill_cli {

// What the summary counts: of one run, or summed over the chunks of one (fill --chunk-days).
struct run_summary {
  std::size_t rows_read = 0, rows_filtered = 0, rows_repeated = 0;
  std::vector<std::size_t> rejected_by;  // per --where rule
  std::size_t rows_outside_grid = 0, duplicate_rows = 0, partitions = 0, keys = 0, cells = 0;
  tsfill::uniformity_report uniformity;
  bool slot_counts_expected = false;  // the uniformity checked against a session's counts
  std::vector<std::string> value_names;
  tsfill::column_stats cells_by_status;  // over every value column

  // Adds a later chunk's counts of the result (the rows' counts are the reader's, whole).
  void add_chunk(const run_summary& chunk);
};

// `expected` (a session grid's slot counts) makes the uniformity check them too.
run_summary summarize(const loaded_table& t, const tsfill::result& r,
                      const expected_slots_fn& expected = {});

void print_stats(const job_spec& o, const run_summary& s,
                 const std::vector<std::pair<std::string, double>>& stage_seconds);

}  // namespace tsfill_cli
