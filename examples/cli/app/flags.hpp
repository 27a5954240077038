// The commands' flags, registered once per group (input, job, output) on a CLI11 command
// and kept as the texts the user gave: every occurrence, in order. job_spec_from() (in
// job_spec.cpp) turns them into a checked job_spec, so each flag is parsed in one place
// whichever command took it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli_error.hpp"

namespace tsfill_cli {

using namespace tsfill_io;  // the I/O adapters and their errors (examples/io)

class flag_texts {
 public:
  // A flag that takes a value; `names` as CLI11 spells them ("--output,-o"), `arg` the
  // value's name in --help ("COL").
  void value(CLI::App& app, const std::string& names, const std::string& arg,
             const std::string& help);
  // A flag given alone (it then means `bare`) or with a value as --flag=V (never a separate
  // word: `--provenance in.csv` leaves in.csv an input); `arg` is shown in --help ("[=V]").
  void value_or_bare(CLI::App& app, const std::string& name, const std::string& bare,
                     const std::string& arg, const std::string& help);
  // A flag without a value.
  void toggle(CLI::App& app, const std::string& names, const std::string& help);
  // The positional arguments (INPUT...).
  void positionals(CLI::App& app, const std::string& name, const std::string& help);

  // The last value given for `flag` (its first name), or none.
  std::optional<std::string> last(const std::string& flag) const;
  // Every value given for `flag`, in order.
  const std::vector<std::string>& all(const std::string& flag) const;
  bool given(const std::string& flag) const { return !all(flag).empty() || on(flag); }
  bool on(const std::string& flag) const;
  const std::vector<std::string>& inputs() const { return inputs_; }
  // Every flag given but those in `skip`, and the inputs, as one text in a fixed order: what
  // a backfill records as its job, to refuse a resume with another job.
  std::string canonical(const std::vector<std::string>& skip) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;  // map: stable addresses for CLI11
  std::map<std::string, bool> toggles_;
  std::vector<std::string> inputs_;
};

// The groups. Every command that runs a job takes all three: add_job_command_flags.
void add_input_flags(CLI::App& command, flag_texts& f);
void add_job_flags(CLI::App& command, flag_texts& f);
void add_output_flags(CLI::App& command, flag_texts& f);
void add_job_command_flags(CLI::App& command, flag_texts& f);

// A flag's value as a whole number in [min, max], or a flag_error naming the flag.
unsigned long whole_number(const std::string& flag, const std::string& text, unsigned long min,
                           unsigned long max);

// Flags CLI11 did not know (a command allows extras so that this names them, one line).
void refuse_unknown_flags(const CLI::App& command);

}  // namespace tsfill_cli
