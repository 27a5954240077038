// The tsfill commands, one file each. Each registers its subcommand on the CLI11 app with
// the flag groups it takes and its own --help, and sets `run` to what it does once the
// command line is parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "cli_error.hpp"

namespace tsfill_cli {

using namespace tsfill_io;  // the I/O adapters and their errors (examples/io)

using command_run = std::function<int()>;

void add_fill_command(CLI::App& app, command_run& run);
void add_plot_command(CLI::App& app, command_run& run);
void add_backfill_command(CLI::App& app, command_run& run);  // needs tsfill::backfill
void add_ingest_command(CLI::App& app, command_run& run);    // needs tsfill::backfill
void add_status_command(CLI::App& app, command_run& run);    // needs tsfill::backfill
void add_validate_command(CLI::App& app, command_run& run);  // needs tsfill::backfill
void add_history_command(CLI::App& app, command_run& run);   // needs tsfill::backfill

}  // namespace tsfill_cli
