// `tsfill plot`: runs the same job as `tsfill fill`, then draws one key's series over a day
// or a time range with gnuplot: observed points, filled points marked by how they were
// filled, the filled series as a line broken where cells stay missing, and the missing
// cells as red marks along the bottom.
#pragma once

namespace tsfill_cli {

int run_plot(int argc, char** argv);

}  // namespace tsfill_cli
