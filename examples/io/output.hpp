// Writing the result: one CSV or Parquet file, or a directory partitioned as
// OUT/<partition-name>=YYYY-MM-DD/part-0.<ext>. Columns: the partition column, the key
// columns, slot_ts, each value column, then each filled column, then (--provenance) per value
// column COL_how and COL_from. The partition column is
// absent with --partition none, and in a partitioned directory it is in the directory name
// only (the Hive convention that Spark, DuckDB, Polars and pyarrow datasets read back).
// Everything is written aside and renamed into place, so a failure leaves no partial output.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <tsfill/tsfill.hpp>

#include "specs.hpp"
#include "table.hpp"

namespace tsfill_io {

struct output_target {
  std::string path;
  bool partitioned = false;  // a directory of partitions
  std::string format;        // csv | parquet
};

// Decides what --output means, and refuses an existing output without --overwrite (before
// any input is read).
output_target output_target_of(const write_spec& o);

void write_output(const write_spec& o, const output_target& target, const loaded_table& t,
                  const tsfill::result& r);

// The output of a run that comes in chunks of whole partitions, in partition order (fill
// --chunk-days): each chunk written under the hidden name as it comes (a CSV file grows, a
// directory gains partitions), the whole renamed into place by commit() only, so a failure
// still leaves no partial output. Every chunk must have the first chunk's columns.
class chunked_output {
 public:
  chunked_output(const write_spec& o, const output_target& target);
  ~chunked_output();
  chunked_output(const chunked_output&) = delete;
  chunked_output& operator=(const chunked_output&) = delete;
  void write(const loaded_table& t, const tsfill::result& r);
  void commit();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// The directory of a day's partition under a partitioned output: "partition_date=2024-03-05",
// or with the ymd layout "year=2024/month=03/day=05".
std::string partition_path(const write_spec& o, std::int64_t day);

// Shared by the writers: the names of the output columns, in order.
struct output_layout {
  bool with_partition = false;     // a partition column in the file
  std::vector<std::string> names;  // all output column names, in order
};
output_layout layout_of(const write_spec& o, const loaded_table& t, const tsfill::result& r,
                        bool with_partition);

// One file (CSV or Parquet, as `format` says) of the rows of segments [first, last): the
// whole output, or one partition of a directory output. Written in place: callers stage it.
void write_segments(const std::string& path, const std::string& format, const write_spec& o,
                    const output_layout& layout, const loaded_table& t, const tsfill::result& r,
                    std::size_t first_segment, std::size_t last_segment);

// The shortest text of a finite double that reads back as the same value, as
// std::to_chars(first, last, v) writes it, into buf[32]; returns its length. Values of
// 0.001 <= |v| < 1e15 with at most 15 significant digits take a fast path (one
// multiplication, one division to check the digits, the point placed); the rest go to
// std::to_chars.
std::size_t format_shortest(char* buf, double v);

// One CSV field: as is, or quoted (with "" for ") when it holds the delimiter, a quote or a
// line break.
void append_csv_field(std::string& out, std::string_view s, char delim);

// Text that grows without zeroing its new room first (as std::string::resize would): CSV
// rows are written through a pointer into room made for the longest row.
class text_buffer {
 public:
  // Room for n more bytes at the end; returns where the text goes on.
  char* room(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  // The text now ends at `end` (inside the room made last).
  void used(const char* end) { size_ = static_cast<std::size_t>(end - data_.get()); }
  void append(std::string_view s) {
    std::memcpy(room(s.size()), s.data(), s.size());
    size_ += s.size();
  }
  void clear() { size_ = 0; }
  std::string_view view() const { return {data_.get(), size_}; }

 private:
  void grow(std::size_t n);

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0, capacity_ = 0;
};

// CSV text of the rows of segments [first, last), header first.
void append_csv(text_buffer& out, const write_spec& o, const output_layout& layout,
                const loaded_table& t, const tsfill::result& r, std::size_t first_segment,
                std::size_t last_segment, bool header);

}  // namespace tsfill_io
