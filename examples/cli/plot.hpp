// `tsfill plot`: runs the same job as `tsfill fill`, then draws one key's series over a day
// or a time range with gnuplot: observed points, filled points marked by how they were
// filled, the filled series as a line broken where cells stay missing, and the missing
// cells as red marks along the bottom.
#pragma once

#include "app/flags.hpp"
#include "app/job_spec.hpp"

namespace tsfill_cli {

// `flags` holds plot's own flags (commands/plot.cpp registers them) besides the job's.
int run_plot(job_spec spec, const flag_texts& flags);

}  // namespace tsfill_cli
