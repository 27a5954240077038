// Parquet input and output through Arrow C++ (compiled in when Arrow and Parquet were found
// at build time; otherwise parquet_supported() is false and both functions throw a
// cli_error saying so).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <tsfill/tsfill.hpp>

#include "output.hpp"
#include "specs.hpp"
#include "table.hpp"

namespace tsfill_io {

bool parquet_supported();

// Called first thing by the program: Arrow's memory comes from the C library's malloc,
// which the program tells to keep freed memory (main.cpp), unless ARROW_DEFAULT_MEMORY_POOL
// says otherwise. Arrow's default, mimalloc, gives the pages of a freed row group back to
// the system at once, and the next one faults them in afresh (the kernel zeroing pages was
// a third of a 1-thread Parquet run's time); jemalloc, tried next, gives back its large
// blocks soon too (a 1-thread Parquet run: 2.53 s with jemalloc, 2.11 s with malloc).
void choose_arrow_memory_pool();

// Reading a file in steps of whole row groups (fill --chunk-days: memory bounded by the
// step, not the file): each step holds row groups until it has at least `rows` rows; once
// a step's rows are in the table, `after` runs (it may take rows out of the table).
struct read_steps {
  std::size_t rows = SIZE_MAX;
  std::function<void()> after;
};

// Appends the rows of a Parquet file (after --where) to `t`. Time columns may be
// timestamps, dates, epoch integers (--time-unit) or ISO-8601 strings; keys integers,
// strings or dictionaries; values any integer or floating type.
void read_parquet(const read_spec& o, const std::string& path, loaded_table& t,
                  const read_steps& steps = {});

// Writes the rows of segments [first, last) as one Parquet file.
void write_parquet(const std::string& path, const write_spec& o, const output_layout& layout,
                   const loaded_table& t, const tsfill::result& r, std::size_t first_segment,
                   std::size_t last_segment);

// One Parquet file written a result at a time (fill --chunk-days): the rows of every
// append go into row groups of a million rows, cut where a whole write would cut them, not
// where the appends begin. close() finishes the file; a writer not closed leaves a file
// that is not Parquet (callers write aside).
class parquet_file_writer {
 public:
  explicit parquet_file_writer(std::string path);
  ~parquet_file_writer();
  parquet_file_writer(const parquet_file_writer&) = delete;
  parquet_file_writer& operator=(const parquet_file_writer&) = delete;
  void append(const write_spec& o, const output_layout& layout, const loaded_table& t,
              const tsfill::result& r);
  void close();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace tsfill_io
