// Rows in and results out through the Arrow C Data Interface (<tsfill/arrow/c_data.hpp>):
// what the Python module trades with pyarrow, Polars and Spark, without Arrow C++.
//
//   arrow_input in;  in.schema = ...; in.batches = ...;  // the producer's columns, kept alive
//   loaded_table t = load_arrow(reading, in);            // value columns borrowed if they can be
//   arrow_result out(writing, t, job.run(t), types_of(reading, in));
//   out.export_stream(stream);                           // for any Arrow consumer
//
// Reading takes every Arrow layout a producer may send: integers of any width, float, double,
// bool, utf8, large utf8 and string views, dictionaries, dates, timestamps of any unit with or
// without a zone (an instant either way; a zone-less one is read as UTC). A double, float or
// int64 value column of a single batch whose every row is kept is not copied: the run reads
// the producer's buffer and bitmap (at its offset) directly. Errors are the readers' own
// (cli_error), naming the table, row and column.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <tsfill/arrow/c_data.hpp>
#include <tsfill/tsfill.hpp>

#include "output.hpp"
#include "specs.hpp"
#include "table.hpp"

namespace tsfill_io {

// An Arrow producer's data: a struct schema and its batches (struct arrays). They must
// outlive the table loaded from them (its value columns may borrow their buffers).
struct arrow_input {
  std::string name = "the table";  // how errors name the input
  tsfill::arrow_c::owned_schema schema;
  std::vector<tsfill::arrow_c::owned_array> batches;
};

// The rows of `in` (o.inputs, o.csv, o.threads, o.on_reject, o.unique_columns and
// o.sequence_column are not used) as a loaded table.
loaded_table load_arrow(const read_spec& o, const arrow_input& in);

// What the result takes over from the input's types, for consumers that check them (Spark's
// applyInArrow wants back the types it declared): the time column's unit and zone (slot_ts
// in that unit when every slot time is a whole number of it; the zone unless --tz says
// another) and the width of integer key columns.
struct arrow_types {
  std::int64_t time_scale = 1;           // ns per unit of the input's timestamps
  char time_unit = 'n';                  // s, m(illi), u, n
  std::string time_zone;                 // the input's zone ("" for none, or not a timestamp)
  std::vector<std::string> key_formats;  // per key column: its Arrow format
};
arrow_types types_of(const read_spec& o, const arrow_input& in);

// The result as Arrow columns, the ones and in the order the writers use (output.hpp), the
// partition column included when o.partition_by_day. Slot times and value columns are the
// result's own memory (no copies): the exported data owns the result until every consumer
// has released it.
class arrow_result {
 public:
  arrow_result(const write_spec& o, const loaded_table& t, tsfill::result r,
               const arrow_types& types = {});
  std::size_t rows() const;
  // A new stream of one batch over the shared data; each call may be consumed on its own.
  void export_stream(ArrowArrayStream& out) const;
  void export_schema(ArrowSchema& out) const;

  struct data;  // (arrow_stream.cpp)

 private:
  std::shared_ptr<const data> data_;
};

}  // namespace tsfill_io
