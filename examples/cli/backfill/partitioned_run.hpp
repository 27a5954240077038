// The job over a partitioned dataset, a batch of partitions at a time: what `tsfill
// backfill` hands the library's engine (tsfill::backfill::run) as its compute function.
//
// The input is parsed once, file by file (memory: one file per worker): which partitions
// each file touches and with how many rows, the words of every string key and the value
// columns numeric in every file; the rows of the partitions batches will ask for go to a
// spill (spill.hpp). A batch then reads its partitions' rows from the spill, runs the job
// on them with the batch's partition range (and the carry-in seed of the batches before),
// and writes each target partition through a directory_sink. Keys are coded against the
// whole input's dictionaries and the value columns are the whole input's, so every batch
// writes exactly the bytes one `tsfill fill` of the whole input writes for its partitions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <tsfill/backfill.hpp>
#include <tsfill/batches.hpp>

#include "../app/job_factory.hpp"
#include "../app/job_spec.hpp"
#include "spill.hpp"
#include "table.hpp"

namespace tsfill_cli {

// What the scan learned of the input.
struct input_scan {
  std::vector<file_summary> files;       // in path order: rows kept and partitions touched
  std::vector<std::string> value_names;  // numeric in every file, in the first file's order
  std::vector<std::vector<std::string>> key_words;       // per key column: sorted, distinct
  std::vector<bool> key_is_string;                       // per key column
  std::map<std::int64_t, std::uint64_t> partition_rows;  // partition -> kept rows
  std::vector<std::uint64_t> rejected_by;                // per --where rule: the rows it dropped
  std::uint64_t rows_repeated = 0;  // --unique: earlier copies of records dropped
  // Partitions that cannot be computed: a file with rows in them has bad cells (its error).
  std::map<std::int64_t, std::string> failed;
  // With sequence ranges: per range (by the highest number in it) the partitions its rows
  // touch.
  std::map<std::int64_t, std::set<std::int64_t>> touched_by_range;
  // Per file (as `files`): the error that left it out (bad_file::skip; empty: read), the
  // columns numeric in it, and per key column 'i' (every word an integer), 's' or '-' (none).
  std::vector<std::string> file_errors;
  std::vector<std::vector<std::string>> file_value_names;
  std::vector<std::vector<std::string>> file_columns_left_out;  // neither time, key nor value
  std::vector<std::vector<std::string>> file_values_absent;     // the dataset's it lacks
  // Columns left out of the default value set as not numeric (in some file), with why.
  std::vector<std::pair<std::string, std::string>> not_numeric;
  std::vector<std::string> file_key_kinds;

  std::vector<std::int64_t> partitions() const;  // sorted
};

class partitioned_run {
 public:
  // Scans the inputs of `o` (on up to `workers` threads), spilling the rows of the
  // partitions `wanted` says into `spill` (none: a scan only, nothing can be computed). Bad
  // input is a cli_error naming the file, row and column, before anything is written.
  // With `ranges`, rows also carry sequence numbers (the --sequence-column) and the scan
  // notes which partitions the rows of each range of `size` numbers after `done` touch.
  struct sequence_ranges {
    std::string column;
    std::int64_t done = INT64_MIN;  // the highest number already processed
    std::int64_t size = 1;
  };
  // What a bad file (a cli_error reading it) does. stop: stops the scan. fail_partitions: a
  // file whose rows can still be placed in partitions (its times read) fails just those
  // partitions (input_scan::failed); any other stops the scan. skip: the file is left out,
  // its error kept in input_scan::file_errors.
  enum class bad_file { stop, fail_partitions, skip };
  // With `schema`, the value columns and the key kinds are the dataset's (what it was first
  // written with), not what these files alone say.
  partitioned_run(const job_spec& o, unsigned workers, const spill_dir* spill = nullptr,
                  std::function<bool(std::int64_t)> wanted = {},
                  std::optional<sequence_ranges> ranges = std::nullopt,
                  bad_file on_bad_file = bad_file::stop,
                  const tsfill::backfill::dataset_schema* schema = nullptr);
  partitioned_run(const partitioned_run&) = delete;  // the readers' callbacks point here
  partitioned_run& operator=(const partitioned_run&) = delete;

  const input_scan& scan() const noexcept { return scan_; }
  // The partition of a time: the UTC day, or the local day with --tz.
  std::int64_t partition_of(std::int64_t ns) const;
  // The output directory name of a partition ("partition_date=2024-03-01").
  std::string partition_dir(std::int64_t partition) const;
  const tsfill::backfill::directory_sink& sink() const noexcept { return sink_; }
  bool carries_in() const noexcept { return spec_.carry_in; }

  // Reads, runs and writes one batch (the engine's compute function). Batches with
  // carry-in must come in partition order (the engine's in_order).
  std::vector<tsfill::backfill::partition_result> compute(const tsfill::backfill::batch& b);

  // The job's result for one batch without writing it: its rows (keys coded against the
  // whole input) and the result. carry() then passes its values on to the next batch.
  struct evaluated {
    loaded_table rows;
    tsfill::result result;
  };
  evaluated evaluate(const tsfill::backfill::batch& b) const;
  void carry(const tsfill::result& r);

  const job_spec& spec() const noexcept { return spec_; }
  const expected_slots_fn& expected_slots() const noexcept { return job_.expected_slots(); }
  const std::string& output_format() const noexcept { return format_; }

 private:
  loaded_table read_batch(const tsfill::backfill::batch& b) const;
  void keep_up_to(loaded_table& t, const spilled_file& s, int fd, std::size_t first,
                  std::size_t count, std::size_t base, std::int64_t up_to) const;
  void plan_key_codes();
  std::optional<std::map<std::int64_t, std::size_t>> partitions_of_rows(
      const std::string& file) const;

  static constexpr std::size_t absent_column = SIZE_MAX;  // value_column_: the file lacks it

  // Per input file and key column: the file's key (code or integer) -> the global code.
  struct key_recode {
    bool identity = true;               // integer keys everywhere
    std::vector<std::int64_t> of_code;  // a string key of the file: its code -> global
    std::map<std::int64_t, std::int64_t> of_integer;  // an integer key of the file, global strings
  };

  job_spec spec_;
  read_spec reading_;
  write_spec writing_;
  std::string format_;  // csv | parquet
  input_scan scan_;
  std::vector<tsfill::value_type> value_types_;             // of scan_.value_names
  std::vector<spilled_file> spills_;                        // per input file
  std::vector<std::vector<key_recode>> recode_;             // [file][key column]
  std::vector<std::vector<std::size_t>> value_column_;      // [file][value]: its spilled column
  std::vector<std::unordered_set<std::uint64_t>> dropped_;  // [file]: rows a later file repeats
  job job_;
  tsfill::backfill::directory_sink sink_;
  tsfill::carry_seed seed_;  // carry-out of the batches so far (carry-in only)
};

}  // namespace tsfill_cli
