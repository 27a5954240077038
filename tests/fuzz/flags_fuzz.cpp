// libFuzzer target: the command line of `tsfill fill`. The input, split at newlines, is the
// argument list after "tsfill fill" (with an input and an output file, so a parse may go
// through); it goes through CLI11 and the program's own checks (job_spec_from, validate)
// to a job built from the spec (make_job). Every outcome must be a job or an error whose
// message stays one printable line; anything else (a crash, a sanitizer report, an
// exception of another kind) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/flags.hpp"
#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "cli_error.hpp"

using namespace tsfill_cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args = {"tsfill", "fill", "/nonexistent/in.csv", "--output",
                                   "/nonexistent/out.csv"};
  std::string arg;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      args.push_back(arg);
      arg.clear();
    } else {
      arg.push_back(static_cast<char>(data[i]));
    }
  }
  if (!arg.empty()) args.push_back(arg);
  if (args.size() > 64) return 0;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());

  CLI::App app{"tsfill"};
  CLI::App* fill = app.add_subcommand("fill");
  flag_texts flags;
  add_job_command_flags(*fill, flags);
  bool built = false;
  fill->callback([&] {
    refuse_unknown_flags(*fill);
    job_spec spec = job_spec_from(flags);
    validate(spec);
    (void)make_job(spec);
    built = true;
  });
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
  } catch (const tsfill_io::cli_error& e) {
    const std::string what = tsfill_io::printable(e.what());
    if (what.find('\n') != std::string::npos || what.empty()) __builtin_trap();
  } catch (const tsfill::error&) {  // the library's checks of the policies built
  }
  (void)built;
  return 0;
}
