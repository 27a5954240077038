// What the readers and writers are told: small specs, never a command's flags. The
// commands fill them from their flags (job_spec::reading(), job_spec::writing()); any other
// caller fills them from its own arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <tsfill/zone_offsets.hpp>

#include "rejects.hpp"
#include "rules.hpp"

namespace tsfill_io {

// How CSV text is split and which tokens are null, in and out.
struct csv_dialect {
  char delimiter = ',';
  std::vector<std::string> null_values = {"", "NA", "null", "NULL"};
};

// Which files, which columns and which rows to read.
struct read_spec {
  std::vector<std::string> inputs;  // files, or directories of .csv/.parquet files
  std::string input_format;         // csv | parquet; empty: by extension
  std::string time_column = "date";
  std::string time_unit;                    // s | ms | us | ns: integer times are epochs
  std::vector<std::string> keys;            // key columns
  std::vector<std::string> value_patterns;  // names or globs; empty: every numeric column
  // A value column named in value_patterns that a file lacks is no error: the file has none
  // (a dataset's later files, read for the columns it was first written with).
  bool absent_values_ok = false;
  // Key words and column names must be valid UTF-8 (the output is Parquet, whose string
  // columns hold nothing else): one that is not is an error naming file, row and column.
  bool require_utf8 = false;
  std::vector<where_rule> where;  // keep rows passing every rule (rules.hpp)
  csv_dialect csv;
  bool progress = true;  // a progress line on a terminal
  // Threads that parse one large CSV file (in chunks); keep_time is then called from all
  // of them at once, so it must not change shared state.
  unsigned threads = 1;
  // Rows to keep by time (ns since the epoch, UTC), e.g. the partitions of one batch
  // (a chunk); empty: every row. Rows it drops count as filtered; a row whose time cannot
  // be read is an error wherever it lies.
  std::function<bool(std::int64_t)> keep_time;
  // Called for each row a --where rule drops (--rejects), in input order.
  std::function<void(const rejected_row&)> on_reject;
  // Columns that identify a record (--unique): of rows with the same id, only the last in
  // the input is kept (a re-delivered record); an id with a null is never a repeat.
  std::vector<std::string> unique_columns;
  // A column of integer sequence numbers to load beside the rows (loaded_table::sequence),
  // e.g. an ingestion id; empty: none.
  std::string sequence_column;
  // The partition of a time, for the per-file manifest (loaded_table::files); empty: the
  // UTC day.
  std::function<std::int64_t(std::int64_t)> partition_of;
};

// Where and how to write a result.
struct write_spec {
  std::string output;          // a file, or a directory of partitions
  std::string format;          // csv | parquet; empty: by extension (a directory: default_format)
  std::string default_format;  // a directory output's format without --format: the input's
  std::string partition_name = "partition_date";
  bool ymd_layout = false;  // directories year=YYYY/month=MM/day=DD instead of NAME=YYYY-MM-DD
  bool partition_by_day = true;
  std::string suffix = "_bf";  // filled columns are COL + suffix
  // --provenance: per value column COL_how (the cell's status) and, with `from`, COL_from
  // (the slot start of the observation its value came from).
  struct provenance_columns {
    bool how = false;
    bool from = false;
  } provenance;
  csv_dialect csv;
  std::shared_ptr<const tsfill::zone_offsets> zone;  // local times with offsets; null: UTC
  bool overwrite = false;
  unsigned threads = 1;  // threads that format CSV text or encode Parquet columns
};

}  // namespace tsfill_io
