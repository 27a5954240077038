// The job spec: what the input, job and output flags of a command say (flags.hpp registers
// them; job_spec_from reads them), and validate(), the checks across flags. Every failure
// is a cli_error naming the flag.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "specs.hpp"

namespace tsfill_cli {

enum class fill_method { forward, backward, linear, nearest, constant, none };
enum class grid_kind { partition, key, range, observed, session };
enum class area_kind { all, inside, outside };
enum class calendar_slot { none, week, month, quarter, year };  // --slot 1w|1mo|1q|1y

// The readers, writers and their specs (examples/io, library tsfill_io) are the command
// line's vocabulary.
using namespace tsfill_io;

struct fill_spec {
  fill_method method = fill_method::forward;
  bool by_time = false;  // linear:time / nearest:time
  double constant = 0;
};

struct job_spec {
  std::vector<std::string> inputs;
  std::string output;
  std::string time_column = "date";
  std::vector<std::string> keys;
  std::vector<std::string> value_patterns;  // empty: every numeric non-key column
  std::vector<where_rule> where;            // --where, COL=V rules on one column merged
  std::vector<std::string> unique_columns;  // --unique
  std::string rejects;                      // --rejects FILE
  std::int64_t slot_ns = 30LL * 60 * 1'000'000'000;
  calendar_slot slot_unit = calendar_slot::none;  // a calendar slot instead of slot_ns
  int week_start = 1;                             // --week-start, 0 = Sunday ... 6 = Saturday
  bool week_start_given = false;
  bool partition_by_day = true;
  std::string tz;  // --tz: local days and local slots in this zone
  std::shared_ptr<const tsfill::zone_offsets> zone;  // loaded from tz (null without --tz)
  std::string session;                               // --grid session:HH:MM-HH:MM
  std::vector<std::string> calendars;                // --calendar nyse|weekdays|FILE (repeatable)
  bool keep_outside_session = false;
  std::string dedup = "last";
  grid_kind grid = grid_kind::partition;
  std::int64_t range_start_ns = 0, range_end_ns = 0;
  fill_spec fill;                                           // for every column ...
  std::vector<std::pair<std::string, fill_spec>> fill_for;  // ... unless a pattern here matches
  std::optional<std::int64_t> limit;
  std::optional<std::int64_t> max_age_ns;
  area_kind area = area_kind::all;
  bool limit_area_given = false;
  bool all_or_nothing = false;
  bool carry_in = false;  // forward fill carries the previous partition's last value in
  std::string suffix = "_bf";
  bool keep_original = true;                  // --no-original: the filled value columns only
  write_spec::provenance_columns provenance;  // --provenance[=status]
  std::vector<std::string> null_values = {"", "NA", "null", "NULL"};
  bool nan_is_null = false;
  std::string format;        // output format override: csv | parquet
  std::string input_format;  // input format override
  char delimiter = ',';
  bool stats = false;
  std::string time_unit;  // s | ms | us | ns for epoch integers
  std::string partition_name = "partition_date";
  bool ymd_layout = false;  // --layout ymd
  bool overwrite = false;
  bool progress = true;
  unsigned threads = 1;  // reading, the pipeline and writing (--threads; default all cores)
  // --max-memory: the most the grid may need (bytes); default: 80% of physical memory.
  std::size_t max_memory = default_max_memory();
  std::string max_memory_text = "80% of physical memory";  // for the refusal
  static std::size_t default_max_memory();

  // What the readers and writers need of it.
  read_spec reading() const;
  write_spec writing() const;

  // Time zones or calendars in play: the job needs the calendar component.
  bool zoned() const {
    return !tz.empty() || slot_unit != calendar_slot::none || grid == grid_kind::session;
  }
};

class flag_texts;  // flags.hpp

// The job spec the flags describe; each flag's value is checked on its own.
job_spec job_spec_from(const flag_texts& flags);

// The checks across flags (contradictions, required flags, zone and calendar names), and
// the zone loaded for --tz. Throws a flag_error naming the flag at fault.
void validate(job_spec& spec);

fill_spec parse_fill_method(const std::string& flag, const std::string& text);

// "500M", "8G", "1.5T", "1048576", "50%" (of physical memory), as bytes; none if malformed.
std::optional<std::size_t> parse_memory_size(const std::string& text);

}  // namespace tsfill_cli
