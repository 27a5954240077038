#include "flags.hpp"

#include <algorithm>

#include "cli_error.hpp"

namespace tsfill_cli {
namespace {

std::string first_name(const std::string& names) {
  return names.substr(0, names.find(','));
}

}  // namespace

void flag_texts::value(CLI::App& app, const std::string& names, const std::string& arg,
                       const std::string& help) {
  app.add_option(names, values_[first_name(names)], help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)
      ->expected(1)
      ->type_name(arg);
}

void flag_texts::value_or_bare(CLI::App& app, const std::string& name, const std::string& bare,
                               const std::string& arg, const std::string& help) {
  // (Not CLI11's NAME{DEFAULT}, which --help would show as is: a flag given alone reads
  // "true", turned into `bare` here.)
  app.add_flag(name, values_[name], help)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->option_text(arg)
      ->transform(CLI::Validator(
          [bare](std::string& v) {
            if (v == "true") v = bare;
            return std::string();
          },
          ""));
}

void flag_texts::toggle(CLI::App& app, const std::string& names, const std::string& help) {
  app.add_flag(names, toggles_[first_name(names)], help);
}

void flag_texts::positionals(CLI::App& app, const std::string& name, const std::string& help) {
  app.add_option(name, inputs_, help);
}

std::optional<std::string> flag_texts::last(const std::string& flag) const {
  const auto& v = all(flag);
  if (v.empty()) return std::nullopt;
  return v.back();
}

const std::vector<std::string>& flag_texts::all(const std::string& flag) const {
  static const std::vector<std::string> none;
  const auto it = values_.find(flag);
  return it == values_.end() ? none : it->second;
}

bool flag_texts::on(const std::string& flag) const {
  const auto it = toggles_.find(flag);
  return it != toggles_.end() && it->second;
}

std::string flag_texts::canonical(const std::vector<std::string>& skip) const {
  auto skipped = [&](const std::string& f) {
    return std::find(skip.begin(), skip.end(), f) != skip.end();
  };
  std::string text;
  auto add = [&text](const std::string& word) {
    if (!text.empty()) text.push_back(' ');
    const bool plain = !word.empty() && word.find_first_of(" '\"\\") == std::string::npos;
    if (plain) return text.append(word), void();
    text.push_back('\'');
    for (const char c : word) text.append(c == '\'' ? "'\\''" : std::string(1, c));
    text.push_back('\'');
  };
  for (const std::string& input : inputs_) add(input);
  // Flags in name order (map order): the text does not depend on the order they were given.
  for (const auto& [flag, values] : values_)
    if (!skipped(flag))
      for (const std::string& v : values) add(flag), add(v);
  for (const auto& [flag, on] : toggles_)
    if (on && !skipped(flag)) add(flag);
  return text;
}

void add_input_flags(CLI::App& command, flag_texts& f) {
  CLI::App& g = *command.add_option_group("input", "What to read");
  f.positionals(command, "INPUT", "CSV or Parquet files, read in order");
  f.value(g, "--time", "COL", "event time column (default: date)");
  f.value(g, "--keys", "COL[,COL...]", "key columns (default: none)");
  f.value(g, "--values", "PAT[,PAT...]",
          "value columns, names or globs like 'vol*' (default: every numeric "
          "non-key column)");
  f.value(g, "--where", "RULE",
          "keep only rows passing RULE (repeatable): COL=V (one column: any of the values; "
          "globs allowed), COL!=V, COL<V, COL<=V, COL>V, COL>=V, COL:notnull");
  f.value(g, "--rejects", "FILE",
          "write the rows --where drops to FILE (CSV: file, row, rejected_by, then the "
          "row's columns)");
  f.value(g, "--unique", "COL[,COL...]",
          "these columns identify a record: of rows with the same id only the last in the "
          "input is kept (re-delivered records)");
  f.value(g, "--null-values", "LIST", "tokens read as null (default: empty, NA, null, NULL)");
  f.toggle(g, "--nan-is-null", "NaN counts as null (default: NaN is a value)");
  f.value(g, "--time-unit", "UNIT", "read an integer time column as epoch values in s|ms|us|ns");
  f.value(g, "--input-format", "FORMAT", "csv|parquet (default: by extension)");
  f.value(g, "--delimiter", "C", "CSV delimiter, in and out (default ,; 'tab' for a tab)");
}

void add_job_flags(CLI::App& command, flag_texts& f) {
  CLI::App& g = *command.add_option_group("job", "How rows become a filled grid");
  f.value(g, "--slot", "DUR",
          "slot width: 30min, 1h, 15s, 1d ... (default 30min), or a calendar period: 1w, "
          "1mo, 1q, 1y");
  f.value(g, "--week-start", "DAY", "first day of a 1w slot: mon (default) ... sun");
  f.value(g, "--tz", "ZONE",
          "days and slots in local time of an IANA zone (e.g. America/New_York); slot_ts is "
          "written with its UTC offset");
  f.value(g, "--partition", "day|none",
          "day|none: grids and fills never cross a partition (default day)");
  f.value(g, "--dedup", "RULE",
          "last|first|last-valid|first-valid|mean|min|max|sum|count|reject (default last)");
  f.value(g, "--grid", "GRID",
          "partition|key|observed|range:START/END|session:HH:MM-HH:MM (default partition)");
  f.value(g, "--calendar", "CAL",
          "nyse|weekdays|FILE: which days have a session, and their hours (repeatable; "
          "default every day)");
  f.toggle(g, "--keep-outside-session",
           "widen a day's session to rows outside it (default: drop them)");
  f.value(g, "--fill", "[COL=]METHOD",
          "forward|backward|linear[:time]|nearest[:time]|constant:V|none (default forward); "
          "COL=METHOD sets one column's fill (COL may be a glob)");
  f.value(g, "--limit", "N", "fill at most N slots of a gap");
  f.value(g, "--max-age", "DUR", "never fill from an observation older than DUR");
  f.value(g, "--limit-area", "AREA", "inside|outside|all: where fills may go (default all)");
  f.toggle(g, "--all-or-nothing", "fill a gap only if all of it can be filled");
  f.toggle(g, "--carry-in",
           "forward fill carries a key's last value into the next partition's leading gap");
  f.value(g, "--suffix", "S", "filled columns are written as COL+S (default _bf)");
  f.value(g, "--threads", "N",
          "threads for reading, the pipeline and writing (default 0 = all cores); the output is "
          "the same for any number");
  f.value(g, "--max-memory", "SIZE",
          "refuse, before allocating it, a grid that would need more memory than SIZE "
          "(8G, 500M, 50%; default 80% of physical memory)");
}

void add_output_flags(CLI::App& command, flag_texts& f) {
  CLI::App& g = *command.add_option_group("output", "What to write");
  f.value(g, "--output,-o", "OUT",
          "the output: a CSV or Parquet file, or a directory of partitions");
  f.value(g, "--format", "FORMAT", "csv|parquet: output format (default: by extension)");
  f.value(g, "--partition-name", "NAME",
          "partition column and directory name (default partition_date)");
  f.value(g, "--layout", "day|ymd",
          "partitioned directories: day = NAME=YYYY-MM-DD (default), ymd = "
          "year=YYYY/month=MM/day=DD");
  f.value_or_bare(g, "--provenance", "all", "[=status]",
                  "add per value column COL_how (observed, forward, backward, interpolated, "
                  "constant or missing) and COL_from (the slot the value came from); "
                  "--provenance=status: COL_how only");
  f.toggle(g, "--no-original",
           "write the filled value columns only, not the original ones (the lean form: with "
           "--suffix '' under the input's names)");
  f.toggle(g, "--overwrite", "replace an existing output");
  f.toggle(g, "--stats", "print a summary on stderr");
  f.toggle(g, "--no-progress,--quiet,-q", "no progress line on a terminal");
}

void add_job_command_flags(CLI::App& command, flag_texts& f) {
  add_input_flags(command, f);
  add_job_flags(command, f);
  add_output_flags(command, f);
  command.allow_extras();  // refuse_unknown_flags names them, in tsfill's one-line form
}

unsigned long whole_number(const std::string& flag, const std::string& text, unsigned long min,
                           unsigned long max) {
  std::size_t end = 0;
  unsigned long n = 0;
  try {
    n = std::stoul(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end != text.size() || text.empty() || text[0] == '-' || n < min || n > max)
    throw flag_error(flag, "expected a whole number from " + std::to_string(min) + " to " +
                               std::to_string(max) + ", got " + shown_cell(text));
  return n;
}

void refuse_unknown_flags(const CLI::App& command) {
  for (const std::string& arg : command.remaining()) {
    const std::string flag = arg.substr(0, arg.find('='));
    throw flag_error(flag, "unknown flag (see tsfill " + command.get_name() + " --help)");
  }
}

}  // namespace tsfill_cli
