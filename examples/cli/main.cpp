// tsfill: the command line. Registers the commands (commands/, one file each), parses the
// arguments with CLI11, runs the chosen command, and maps every error to one line on
// stderr and an exit status: 2 for bad usage or bad input (nothing written), 3 for a store
// held by another process, 1 otherwise (a command returns 1 itself when some partitions
// failed and the rest were done).
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <CLI/CLI.hpp>
#include <malloc.h>

#include <tsfill/tsfill.hpp>

#include "cli_error.hpp"
#include "commands/commands.hpp"
#include "parquet_io.hpp"
#include "signals.hpp"

namespace {

using namespace tsfill_cli;

std::string version_text() {
  return "tsfill " + std::to_string(TSFILL_VERSION_MAJOR) + "." +
         std::to_string(TSFILL_VERSION_MINOR) + "." + std::to_string(TSFILL_VERSION_PATCH);
}

// CLI11's own errors as one line, worded like tsfill's others ("--keys: needs a value").
std::string one_line(const CLI::ParseError& e) {
  std::string what = e.what();
  for (char& c : what)
    if (c == '\n') c = ' ';
  const std::size_t colon = what.find(": ");
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr && colon != std::string::npos &&
      what.find(" missing", colon) != std::string::npos)
    return what.substr(0, colon) + ": needs a value";
  return what;
}

}  // namespace

int main(int argc, char** argv) {
  watch_stop_signals();  // first: every thread started later inherits the blocked signals
  // Freed memory is kept for the next chunk, row group or partition instead of going back to
  // the system and coming back as fresh pages the kernel must clear: blocks below 1 GiB come
  // from the heap, and up to 1 GiB of free heap is kept (page faults of a 1-thread CSV run:
  // 165 k -> 71 k).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  tsfill_io::choose_arrow_memory_pool();  // (before Arrow allocates anything)
  CLI::App app{
      "tsfill turns irregular, duplicated, gappy time-series rows into a uniform, gap-filled "
      "grid. Run 'tsfill COMMAND --help' for a command's flags.",
      "tsfill"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  command_run run;
  auto command_names = [&app](char sep) {
    std::string names;
    for (const CLI::App* c : app.get_subcommands([](CLI::App*) { return true; }))
      names += (names.empty() ? "" : std::string(1, sep) + (sep == ',' ? " " : "")) + c->get_name();
    return names;
  };
  add_fill_command(app, run);
  add_plot_command(app, run);
#ifdef TSFILL_CLI_HAVE_BACKFILL
  add_backfill_command(app, run);
  add_ingest_command(app, run);
  add_validate_command(app, run);
  add_status_command(app, run);
  add_history_command(app, run);
#endif
  try {
    if (argc < 2) {
      std::fputs(app.help().c_str(), stderr);
      throw cli_error("no command given (tsfill " + command_names('|') + " ...; tsfill --help)");
    }
    const std::string first = argv[1];
    if (first[0] != '-' &&
        app.get_subcommands([&](CLI::App* s) { return s->get_name() == first; }).empty())
      throw cli_error("unknown command '" + first + "' (commands: " + command_names(',') + ")");
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
      return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      throw cli_error(one_line(e));
    }
    return run();
  } catch (const busy_error& e) {
    std::fprintf(stderr, "tsfill: %s\n", printable(e.what()).c_str());
    return 3;
  } catch (const cli_error& e) {
    std::fprintf(stderr, "tsfill: %s\n", printable(e.what()).c_str());
    return 2;
  } catch (const run_failure& e) {
    std::fprintf(stderr, "tsfill: %s\n", printable(e.what()).c_str());
    return 1;
  } catch (const tsfill::error& e) {
    std::fprintf(stderr, "%s\n", printable(e.what()).c_str());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tsfill: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tsfill: internal error: %s\n", printable(e.what()).c_str());
    return 1;
  }
}
