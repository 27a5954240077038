// Runs the tsfill pipeline that the flags describe on a loaded table.
#pragma once

#include <vector>

#include <tsfill/tsfill.hpp>

#include "options.hpp"
#include "table.hpp"

namespace tsfill_cli {

// The fill policy of each value column: the first matching --fill COL=METHOD, else --fill,
// with --limit, --max-age, --limit-area and --all-or-nothing applied.
std::vector<tsfill::fill::any> column_fills(const job_options& o, const loaded_table& t);

// Runs the job; library errors become cli_errors that name the flag or the input rows.
tsfill::result run_job(const job_options& o, const loaded_table& t);

}  // namespace tsfill_cli
