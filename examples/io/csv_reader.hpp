// CSV input (RFC 4180): a header row, quoted fields with "" escapes, delimiters and newlines
// inside quotes, LF or CRLF line ends, an optional UTF-8 BOM. Blank lines are skipped.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cli_error.hpp"
#include "specs.hpp"
#include "table.hpp"

namespace tsfill_io {

// A record that is not CSV (a quote never closed, text after a closing quote): a cli_error
// naming file, row and line, with the bare reason kept for a reader that renumbers it.
class csv_syntax_error : public cli_error {
 public:
  csv_syntax_error(const std::string& located, std::string reason)
      : cli_error(located), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// Splits a CSV buffer into records. Views stay valid until the next call to next().
class csv_parser {
 public:
  csv_parser(std::string_view data, char delimiter, std::string file);
  // Parses only the records that start in [begin, limit), counting lines from 1 at begin
  // (a chunk of a file whose records are split among threads). begin must start a line.
  void restrict_to(std::size_t begin, std::size_t limit);
  bool next(std::vector<std::string_view>& fields);
  std::uint64_t record_line() const { return record_line_; }  // 1-based line of the last record
  // Data rows so far (the header is not one): the row number of the last record.
  std::uint64_t data_row() const { return records_ > 0 ? records_ - 1 : 0; }
  std::size_t position() const { return pos_; }
  std::uint64_t line() const { return line_; }  // the line at position()

 private:
  [[noreturn]] void fail(const std::string& reason) const;
  std::size_t field_end(std::size_t p);  // the delimiter or line end ending a field at p
  std::size_t field_end_in_next_blocks(std::size_t p);
  std::uint64_t structural_mask(std::size_t block) const;

  std::string_view data_;
  char delim_;
  std::string file_;
  std::size_t pos_ = 0;
  std::size_t limit_ = SIZE_MAX;
  std::uint64_t line_ = 1;
  std::uint64_t record_line_ = 0;
  std::uint64_t records_ = 0;
  std::deque<std::string> unescaped_;  // deque: growing it does not move the strings
  std::size_t unescaped_used_ = 0;
  // The 64-byte block of data_ that field_end looked at last (64-aligned in memory, so a
  // block never spans two pages), and a bit per byte of it: delimiter, '\n' or '\r'.
  std::size_t block_ = SIZE_MAX;
  std::uint64_t block_mask_ = 0;
};

// One CSV file read a block of bytes at a time (fill --chunk-days: memory bounded by the
// block, not the file). The constructor reads the header; each read(bytes) appends to `t`
// the rows of the records that start in the next `bytes` of the file, chunked among
// o.threads threads; rows, lines and errors are numbered as in one pass over the file.
class csv_file_reader {
 public:
  csv_file_reader(const read_spec& o, const std::string& path, loaded_table& t);
  ~csv_file_reader();
  csv_file_reader(const csv_file_reader&) = delete;
  csv_file_reader& operator=(const csv_file_reader&) = delete;
  void read(std::size_t bytes);
  bool done() const;  // every record read
  // After the last read: the columns found not numeric leave t.values (into
  // t.columns_left_out), and each --values glob must still match a numeric column.
  void finish();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// Reads one CSV file into `t`, appending its rows (after --where) to the columns. With
// o.threads > 1 a large file is split into chunks at line ends and parsed on that many
// threads (a chunk whose start turns out to lie inside a quoted field is parsed again from
// where the chunk before it ended): the table, the counts and the first error are those of
// one pass from the top.
void read_csv(const read_spec& o, const std::string& path, loaded_table& t);

// Reads a whole file, or throws cli_error naming it.
std::string read_file(const std::string& path);

// CSV's rules for value cells, shared with the Arrow reader's text columns: whether a cell
// is a null token (o.csv.null_values), a cell as a number (spaces and one '+' allowed), and
// the null tokens as a message lists them ("'', 'NA', 'null', 'NULL'").
bool is_null_token(const read_spec& o, std::string_view s);
bool parse_number(std::string_view s, double& out);
std::string null_tokens(const read_spec& o);

}  // namespace tsfill_io
