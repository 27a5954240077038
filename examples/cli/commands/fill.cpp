// `tsfill fill INPUT... --output OUT`: the job on the inputs, written as a file or a
// directory of partitions.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../app/flags.hpp"
#include "../app/job_factory.hpp"
#include "../app/job_spec.hpp"
#include "../app/notices.hpp"
#include "../stats.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "table.hpp"

namespace tsfill_cli {
namespace {

int run_fill(job_spec o) {
  const auto t0 = std::chrono::steady_clock::now();
  const output_target target = output_target_of(o.writing());  // refuse an existing output early
  std::unique_ptr<rejects_file> rejects;
  read_spec reading = o.reading();
  if (!o.rejects.empty()) {
    rejects = std::make_unique<rejects_file>(o.rejects, o.delimiter, o.overwrite);
    reading.on_reject = [&rejects](const rejected_row& r) { rejects->add(r); };
  }
  loaded_table table = load_inputs(reading);
  const auto t1 = std::chrono::steady_clock::now();
  const job job = make_job(o);
  const tsfill::result r = job.run(table);
  release_rows(table);  // (the result holds all it needs)
  const auto t2 = std::chrono::steady_clock::now();
  write_output(o.writing(), target, table, r);
  if (rejects) rejects->commit();
  note_columns_left_out(table.not_numeric);  // (after the output: an error stays one line)
  const auto t3 = std::chrono::steady_clock::now();
  if (o.stats) {
    std::vector<std::pair<std::string, double>> stages;
    stages.emplace_back("read", std::chrono::duration<double>(t1 - t0).count());
    for (const auto& s : r.stats().stage_seconds) stages.push_back(s);
    stages.emplace_back("write", std::chrono::duration<double>(t3 - t2).count());
    print_stats(o, table, r, stages, job.expected_slots());
  }
  return 0;
}

}  // namespace

void add_fill_command(CLI::App& app, command_run& run) {
  CLI::App* fill = app.add_subcommand(
      "fill",
      "Regularize rows into a uniform grid of slots per key and partition, then fill gaps. "
      "INPUT and OUT are CSV or Parquet by extension; an OUT without one is a directory of "
      "partitions OUT/<partition-name>=YYYY-MM-DD/part-0.csv|parquet (the Hive layout).");
  auto flags = std::make_shared<flag_texts>();
  add_job_command_flags(*fill, *flags);
  fill->callback([fill, flags, &run] {
    refuse_unknown_flags(*fill);
    job_spec spec = job_spec_from(*flags);
    validate(spec);
    run = [spec = std::move(spec)] { return run_fill(spec); };
  });
}

}  // namespace tsfill_cli
