// CSV input (RFC 4180): a header row, quoted fields with "" escapes, delimiters and newlines
// inside quotes, LF or CRLF line ends, an optional UTF-8 BOM. Blank lines are skipped.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "specs.hpp"
#include "table.hpp"

namespace tsfill_io {

// Splits a CSV buffer into records. Views stay valid until the next call to next().
class csv_parser {
 public:
  csv_parser(std::string_view data, char delimiter, std::string file);
  bool next(std::vector<std::string_view>& fields);
  std::uint64_t record_line() const { return record_line_; }  // 1-based line of the last record
  // Data rows so far (the header is not one): the row number of the last record.
  std::uint64_t data_row() const { return records_ > 0 ? records_ - 1 : 0; }
  std::size_t position() const { return pos_; }

 private:
  std::string_view data_;
  char delim_;
  std::string file_;
  std::size_t pos_ = 0;
  std::uint64_t line_ = 1;
  std::uint64_t record_line_ = 0;
  std::uint64_t records_ = 0;
  std::deque<std::string> unescaped_;  // deque: growing it does not move the strings
  std::size_t unescaped_used_ = 0;
};

// Reads one CSV file into `t`, appending its rows (after --where) to the columns.
void read_csv(const read_spec& o, const std::string& path, loaded_table& t);

// Reads a whole file, or throws cli_error naming it.
std::string read_file(const std::string& path);

}  // namespace tsfill_io
