// The spill: the rows of one input file that batches will ask for, grouped by partition in
// a binary file of columns. The scan parses each input file once and writes its spill;
// a batch then reads its partitions' row ranges back (pread, no parsing), so a backfill
// parses the input once however it is chunked, and a file spanning many partitions is not
// parsed again for every batch. Files live in a hidden directory of the output
// (".spill.tsfill-tmp-PID"): removed at the end of the run, or by the next run after a kill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tsfill/columns.hpp>

#include "signals.hpp"
#include "table.hpp"

namespace tsfill_cli {

using namespace tsfill_io;

struct spilled_file {
  std::string path;  // the spill file
  std::size_t rows = 0;
  std::map<std::int64_t, std::pair<std::size_t, std::size_t>> ranges;  // partition -> first, count
  struct key {
    bool is_string = false;
    std::vector<std::string> words;  // the file's dictionary (string keys)
  };
  std::vector<key> keys;
  struct value {
    std::string name;
    tsfill::value_type type = tsfill::value_type::float64;
  };
  std::vector<value> values;
  bool has_sequence = false;  // the rows' sequence numbers are column 2

  // Column layout: time (int64), source row (uint64), the sequence number (int64, if
  // any), each key (int64 codes, or the integers), each value (its type) and its validity
  // (one byte per row).
  std::size_t first_key() const { return has_sequence ? 3 : 2; }
  std::size_t first_value() const { return first_key() + keys.size(); }  // then its validity
  std::size_t columns() const { return first_value() + 2 * values.size(); }
  std::size_t width(std::size_t column) const;
  std::size_t offset(std::size_t column) const;  // in bytes, from the start of the file
};

// Writes the rows of `t` whose partition `wanted` says, grouped by partition (each group
// in input order), to `path`.
spilled_file spill_rows(const loaded_table& t, const std::string& path,
                        const std::function<std::int64_t(std::int64_t)>& partition_of,
                        const std::function<bool(std::int64_t)>& wanted);

// Reads `count` rows from row `first` of column `column` into `out` (width(column) bytes each).
void read_spilled(const spilled_file& f, int fd, std::size_t column, std::size_t first,
                  std::size_t count, void* out);

// A hidden directory for spill files, removed with its contents when destroyed.
class spill_dir {
 public:
  explicit spill_dir(const std::string& parent);
  ~spill_dir();
  spill_dir(const spill_dir&) = delete;
  spill_dir& operator=(const spill_dir&) = delete;
  std::string file(std::size_t index) const;

 private:
  std::string path_;
  temp_path_registration registered_;  // removed if a signal ends the process
};

}  // namespace tsfill_cli
