// Runs the tsfill pipeline that the flags describe on a loaded table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include <tsfill/tsfill.hpp>

#include "options.hpp"
#include "table.hpp"

namespace tsfill_cli {

// The fill policy of each value column: the first matching --fill COL=METHOD, else --fill,
// with --limit, --max-age, --limit-area and --all-or-nothing applied.
std::vector<tsfill::fill::any> column_fills(const job_options& o, const loaded_table& t);

// The slot count a grid promises a partition (a session grid's), for the uniformity check.
using expected_slots_fn = std::function<std::optional<std::size_t>(std::int64_t)>;

struct job_result {
  tsfill::result result;
  expected_slots_fn expected_slots;  // empty unless the grid promises counts
};

// Runs the job; library errors become cli_errors that name the flag or the input rows.
job_result run_job(const job_options& o, const loaded_table& t);

// The job with time zones or calendars (o.zoned()): local days, local or calendar slots,
// session grids. Library errors pass through to run_job.
job_result run_zoned_job(const job_options& o, const loaded_table& t,
                         std::span<const tsfill::fill::any> fills, const tsfill::run_options& run);

}  // namespace tsfill_cli
