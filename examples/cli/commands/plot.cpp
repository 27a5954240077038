// `tsfill plot INPUT... --output PLOT.png|svg --key COL=VALUE[,...]`: the job, then one
// key's series drawn with gnuplot (plot.cpp).
#include "../plot.hpp"

#include <memory>
#include <utility>

#include "../app/flags.hpp"
#include "../app/job_spec.hpp"
#include "commands.hpp"

namespace tsfill_cli {

void add_plot_command(CLI::App& app, command_run& run) {
  CLI::App* plot = app.add_subcommand(
      "plot",
      "Run the same job as fill, then draw one key's series over a day or a time range: "
      "observed points, filled points by how they were filled, and missing cells.");
  auto flags = std::make_shared<flag_texts>();
  add_job_command_flags(*plot, *flags);
  CLI::App& g = *plot->add_option_group("plot", "What to draw");
  flags->value(g, "--key", "COL=VALUE[,...]",
               "the key to draw: COL=VALUE[,COL=VALUE...], one per --keys column");
  flags->value(g, "--value", "COL", "the value column to draw (default: the first)");
  flags->value(g, "--day", "DATE", "the day to draw, YYYY-MM-DD (local with --tz)");
  flags->value(g, "--from", "T", "first slot to draw (a timestamp)");
  flags->value(g, "--to", "T", "last slot to draw (a timestamp)");
  flags->value(g, "--title", "TEXT", "the plot's title");
  plot->callback([plot, flags, &run] {
    refuse_unknown_flags(*plot);
    job_spec spec = job_spec_from(*flags);
    validate(spec);
    run = [spec = std::move(spec), flags] { return run_plot(spec, *flags); };
  });
}

}  // namespace tsfill_cli
