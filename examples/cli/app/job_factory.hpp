// The job factory: the job flags (job_spec) -> one type-erased job, built once.
//
// Every command runs its jobs through a `job`, so no command adds pipeline instantiations:
// each policy combination is instantiated once, here (job_factory.cpp: UTC days and fixed
// slots; job_factory_zoned.cpp: time zones and calendars, in its own file so the two halves
// compile in parallel and a build without the calendar component still has the first).
// A job runs on any table_view and takes run_options, so a backfill can run it batch by
// batch (partition window, key universe, carry-in seed: <tsfill/batches.hpp>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tsfill/tsfill.hpp>

#include "job_spec.hpp"
#include "table.hpp"

namespace tsfill_cli {

// The slot count a grid promises a partition (a session grid's), for the uniformity check.
using expected_slots_fn = std::function<std::optional<std::size_t>(std::int64_t)>;

// The fill policy of each value column: the first matching --fill COL=METHOD, else --fill,
// with --limit, --max-age, --limit-area and --all-or-nothing applied.
std::vector<tsfill::fill::any> column_fills(const job_spec& o,
                                            const std::vector<std::string>& value_names);

class job {
 public:
  // The pipeline chosen by the flags, bound to its policies.
  using pipeline_fn = std::function<tsfill::result(
      const tsfill::table_view<>&, std::span<const tsfill::fill::any>, const tsfill::run_options&)>;

  job(job_spec o, pipeline_fn run, expected_slots_fn expected)
      : options_(std::move(o)), run_(std::move(run)), expected_(std::move(expected)) {}

  // Runs on `input` (the batch fields of `batch` are kept; threads and nan_is_null come from
  // the flags). Library errors pass through as tsfill::error.
  tsfill::result run(const tsfill::table_view<>& input, tsfill::run_options batch = {}) const;
  // Runs on a loaded table; library errors become cli_errors naming the flag or input rows.
  tsfill::result run(const loaded_table& t, tsfill::run_options batch = {}) const;

  // Empty unless the grid promises slot counts (session grids).
  const expected_slots_fn& expected_slots() const noexcept { return expected_; }

 private:
  job_spec options_;
  pipeline_fn run_;
  expected_slots_fn expected_;
};

job make_job(const job_spec& o);

// The zoned half of make_job (o.zoned(): --tz, calendar slots, session grids).
job make_zoned_job(const job_spec& o);

}  // namespace tsfill_cli
