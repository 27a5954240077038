#include "parquet_io.hpp"

#include "cli_error.hpp"
#include "signals.hpp"

#ifndef TSFILL_CLI_HAVE_PARQUET

namespace tsfill_io {

bool parquet_supported() {
  return false;
}

void choose_arrow_memory_pool() {}

void read_parquet(const read_spec&, const std::string& path, loaded_table&, const read_steps&) {
  throw cli_error(path +
                  ": this tsfill was built without Parquet support (Arrow C++ was not found)");
}

void write_parquet(const std::string& path, const write_spec&, const output_layout&,
                   const loaded_table&, const tsfill::result&, std::size_t, std::size_t) {
  throw cli_error(path +
                  ": this tsfill was built without Parquet support (Arrow C++ was not found)");
}

struct parquet_file_writer::state {};

parquet_file_writer::parquet_file_writer(std::string path) {
  throw cli_error(path +
                  ": this tsfill was built without Parquet support (Arrow C++ was not found)");
}

parquet_file_writer::~parquet_file_writer() = default;

void parquet_file_writer::append(const write_spec&, const output_layout&, const loaded_table&,
                                 const tsfill::result&) {}

void parquet_file_writer::close() {}

}  // namespace tsfill_io

#else

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <type_traits>
#include <unordered_map>

#include <arrow/api.h>
#include <arrow/io/api.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_ops.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "cell.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "parallel.hpp"
#include "timefmt.hpp"

namespace tsfill_io {
namespace {

std::int64_t unit_scale(arrow::TimeUnit::type u) {
  switch (u) {
    case arrow::TimeUnit::SECOND:
      return 1'000'000'000;
    case arrow::TimeUnit::MILLI:
      return 1'000'000;
    case arrow::TimeUnit::MICRO:
      return 1'000;
    case arrow::TimeUnit::NANO:
      return 1;
  }
  return 1;
}

std::vector<cell> decode_cells(const arrow::Array& a);

// Calls f(row, cell) for every row of an Arrow array (rows numbered from `base`).
template <class F>
void for_each_cell(const arrow::Array& a, std::size_t base, F&& f) {
  const auto n = static_cast<std::size_t>(a.length());
  auto each = [&](auto make) {
    for (std::size_t r = 0; r < n; ++r) {
      cell c;
      if (a.IsNull(static_cast<std::int64_t>(r))) {
        c.null = true;
      } else {
        make(static_cast<std::int64_t>(r), c);
      }
      f(base + r, c);
    }
  };
  using K = cell::kind;
  switch (a.type_id()) {
#define TSFILL_INT_CASE(ID, ARR)                                                   \
  case arrow::Type::ID:                                                            \
    return each([&](std::int64_t r, cell& c) {                                     \
      c.k = K::integer;                                                            \
      c.i = static_cast<std::int64_t>(static_cast<const arrow::ARR&>(a).Value(r)); \
    });
    TSFILL_INT_CASE(INT8, Int8Array)
    TSFILL_INT_CASE(INT16, Int16Array)
    TSFILL_INT_CASE(INT32, Int32Array)
    TSFILL_INT_CASE(INT64, Int64Array)
    TSFILL_INT_CASE(UINT8, UInt8Array)
    TSFILL_INT_CASE(UINT16, UInt16Array)
    TSFILL_INT_CASE(UINT32, UInt32Array)
#undef TSFILL_INT_CASE
    case arrow::Type::UINT64:
      return each([&](std::int64_t r, cell& c) {
        const std::uint64_t v = static_cast<const arrow::UInt64Array&>(a).Value(r);
        c.k = v > static_cast<std::uint64_t>(INT64_MAX) ? K::other : K::integer;
        c.i = static_cast<std::int64_t>(v);
      });
    case arrow::Type::BOOL:
      return each([&](std::int64_t r, cell& c) {
        c.k = K::integer;
        c.i = static_cast<const arrow::BooleanArray&>(a).Value(r) ? 1 : 0;
      });
    case arrow::Type::DOUBLE:
      return each([&](std::int64_t r, cell& c) {
        c.k = K::floating;
        c.d = static_cast<const arrow::DoubleArray&>(a).Value(r);
      });
    case arrow::Type::FLOAT:
      return each([&](std::int64_t r, cell& c) {
        c.k = K::floating;
        c.d = static_cast<double>(static_cast<const arrow::FloatArray&>(a).Value(r));
      });
    case arrow::Type::STRING:
      return each([&](std::int64_t r, cell& c) {
        c.k = K::text;
        c.s = static_cast<const arrow::StringArray&>(a).GetView(r);
      });
    case arrow::Type::LARGE_STRING:
      return each([&](std::int64_t r, cell& c) {
        c.k = K::text;
        c.s = static_cast<const arrow::LargeStringArray&>(a).GetView(r);
      });
    case arrow::Type::TIMESTAMP: {
      const std::int64_t scale =
          unit_scale(static_cast<const arrow::TimestampType&>(*a.type()).unit());
      return each([&](std::int64_t r, cell& c) {
        instant_of(static_cast<const arrow::TimestampArray&>(a).Value(r), scale, c);
      });
    }
    case arrow::Type::DATE32:
      return each([&](std::int64_t r, cell& c) {
        instant_of(static_cast<const arrow::Date32Array&>(a).Value(r), 86'400'000'000'000, c);
      });
    case arrow::Type::DATE64:
      return each([&](std::int64_t r, cell& c) {
        instant_of(static_cast<const arrow::Date64Array&>(a).Value(r), 1'000'000, c);
      });
    case arrow::Type::DICTIONARY: {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(a);
      // Decode the dictionary once (through a plain function: a recursive call here would
      // instantiate for_each_cell again for every level), then look codes up.
      const std::vector<cell> words = decode_cells(*dict.dictionary());
      return each([&](std::int64_t r, cell& c) {
        c = words[static_cast<std::size_t>(dict.GetValueIndex(r))];
      });
    }
    default:
      return each([&](std::int64_t, cell& c) { c.k = K::other; });
  }
}

std::vector<cell> decode_cells(const arrow::Array& a) {
  std::vector<cell> out(static_cast<std::size_t>(a.length()));
  for_each_cell(a, 0, [&](std::size_t r, const cell& c) { out[r] = c; });
  return out;
}

// The times of a timestamp chunk without nulls, in nanoseconds, in one pass over its
// values (no cell per row). False, and `ns` not to be trusted, when one lies outside the
// nanosecond range: the row-by-row path then reports it, or passes over it when --where
// dropped its row.
bool timestamps_by_block(const arrow::Array& a, std::size_t base, std::vector<std::int64_t>& ns) {
  if (a.type_id() != arrow::Type::TIMESTAMP || a.null_count() != 0) return false;
  const std::int64_t scale = unit_scale(static_cast<const arrow::TimestampType&>(*a.type()).unit());
  const std::int64_t* values = static_cast<const arrow::TimestampArray&>(a).raw_values();
  const auto n = static_cast<std::size_t>(a.length());
  bool all_in_range = true;
  for (std::size_t r = 0; r < n; ++r) {
    std::int64_t t = 0;
    all_in_range &= !__builtin_mul_overflow(values[r], scale, &t) && in_time_range(t);
    ns[base + r] = t;
  }
  return all_in_range;
}

// A key column's codes for the rows of one chunk without nulls that holds few distinct
// values (a dictionary, or integers in a range of at most 2^16): each distinct value is
// coded once, by `code_of_cell` at its first row (so codes, and errors, come as the
// row-by-row path makes them), then looked up by index. False: not such a chunk.
template <class F>
bool key_codes_by_value(const arrow::Array& a, std::size_t base,
                        const std::vector<std::size_t>& out_row, std::vector<std::int64_t>& codes,
                        F&& code_of_cell) {
  if (a.null_count() != 0) return false;
  const auto n = static_cast<std::size_t>(a.length());
  auto by_index = [&](std::size_t distinct, auto index_of, auto cell_of) {
    std::vector<std::int64_t> code_for(distinct, -1);
    for (std::size_t r = 0; r < n; ++r) {
      if (out_row[base + r] == SIZE_MAX) continue;
      const std::size_t i = index_of(r);
      if (code_for[i] < 0) code_for[i] = code_of_cell(base + r, cell_of(r, i));
      codes[out_row[base + r]] = code_for[i];
    }
    return true;
  };
  if (a.type_id() == arrow::Type::DICTIONARY) {
    const auto& dict = static_cast<const arrow::DictionaryArray&>(a);
    if (dict.indices()->type_id() != arrow::Type::INT32) return false;
    const std::int32_t* index = static_cast<const arrow::Int32Array&>(*dict.indices()).raw_values();
    const std::vector<cell> words = decode_cells(*dict.dictionary());
    return by_index(
        words.size(), [&](std::size_t r) { return static_cast<std::size_t>(index[r]); },
        [&](std::size_t, std::size_t i) { return words[i]; });
  }
  if (a.type_id() == arrow::Type::INT64 && n > 0) {
    const std::int64_t* v = static_cast<const arrow::Int64Array&>(a).raw_values();
    const auto [lo, hi] = std::minmax_element(v, v + n);
    if (static_cast<std::uint64_t>(*hi) - static_cast<std::uint64_t>(*lo) >= (1U << 16))
      return false;
    const std::int64_t low = *lo;
    return by_index(
        static_cast<std::size_t>(*hi - low) + 1,
        [&](std::size_t r) { return static_cast<std::size_t>(v[r] - low); },
        [&](std::size_t r, std::size_t) {
          cell c;
          c.k = cell::kind::integer;
          c.i = v[r];
          return c;
        });
  }
  return false;
}

template <class F>
void for_each_cell(const arrow::ChunkedArray& col, F&& f) {
  std::size_t base = 0;
  for (const auto& chunk : col.chunks()) {
    for_each_cell(*chunk, base, f);
    base += static_cast<std::size_t>(chunk->length());
  }
}

bool is_number_type(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
      return true;
    default:
      return false;
  }
}

tsfill::value_type value_type_of(const arrow::DataType& t) {
  if (t.id() == arrow::Type::DOUBLE) return tsfill::value_type::float64;
  if (t.id() == arrow::Type::FLOAT) return tsfill::value_type::float32;
  return tsfill::value_type::int64;
}

template <class T>
T check(arrow::Result<T> r, const std::string& path) {
  if (!r.ok()) throw cli_error(path + ": " + r.status().ToString());
  return std::move(r).ValueOrDie();
}
void check(const arrow::Status& s, const std::string& path) {
  if (!s.ok()) throw cli_error(path + ": " + s.ToString());
}

// --rejects: the rows --where dropped, each with all its cells as text, in row order.
void report_rejects(const read_spec& o, const std::string& path, const arrow::Table& table,
                    const std::vector<std::int32_t>& rejected_by, std::size_t row_base) {
  std::vector<std::size_t> rows;
  for (std::size_t r = 0; r < rejected_by.size(); ++r)
    if (rejected_by[r] >= 0) rows.push_back(r);
  if (rows.empty()) return;
  std::vector<std::size_t> slot(rejected_by.size(), SIZE_MAX);
  for (std::size_t i = 0; i < rows.size(); ++i) slot[rows[i]] = i;
  std::vector<std::string> header;
  std::vector<std::vector<std::string> > cells(rows.size());
  for (int c = 0; c < table.num_columns(); ++c) {
    header.push_back(table.schema()->field(c)->name());
    for_each_cell(*table.column(c), [&](std::size_t r, const cell& x) {
      if (slot[r] != SIZE_MAX) cells[slot[r]].push_back(x.null ? std::string() : text_of(x));
    });
  }
  std::vector<std::string> rules;
  for (const where_rule& w : o.where) rules.push_back(w.text());
  std::vector<std::string_view> views;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    views.assign(cells[i].begin(), cells[i].end());
    o.on_reject({path, row_base + rows[i] + 1,
                 rules[static_cast<std::size_t>(rejected_by[rows[i]])], header, views});
  }
}

}  // namespace

bool parquet_supported() {
  return true;
}

namespace {

// The Parquet leaf columns under one field of the file's schema.
void leaf_columns(const parquet::arrow::SchemaField& f, std::vector<int>& out) {
  if (f.children.empty()) out.push_back(f.column_index);
  for (const parquet::arrow::SchemaField& c : f.children) leaf_columns(c, out);
}

// The columns a read needs of a file with this schema: time, keys, --where, --unique,
// sequence and value columns (all of them when --rejects writes whole rows).
std::vector<int> needed_columns(const read_spec& o, const loaded_table& t,
                                const parquet::arrow::FileReader& reader,
                                const arrow::Schema& schema) {
  std::vector<int> leaves;
  const bool first_file = t.files.size() == 1;
  for (int i = 0; i < schema.num_fields(); ++i) {
    const std::string& name = schema.field(i)->name();
    auto among = [&](const auto& list) {
      return std::find(list.begin(), list.end(), name) != list.end();
    };
    const bool where = std::any_of(o.where.begin(), o.where.end(),
                                   [&](const where_rule& w) { return w.column == name; });
    const bool value =
        first_file ? select_value(o, name).selected && is_number_type(*schema.field(i)->type())
                   : std::any_of(t.values.begin(), t.values.end(),
                                 [&](const loaded_value& v) { return v.name == name; });
    if (o.on_reject || name == o.time_column || among(o.keys) || where || among(o.unique_columns) ||
        name == o.sequence_column || value)
      leaf_columns(reader.manifest().schema_fields[static_cast<std::size_t>(i)], leaves);
  }
  return leaves;
}

// A double column's values and validity from row `base` on, chunk by chunk (NaN in null
// slots, as the cell-by-cell path writes).
void copy_doubles(const arrow::ChunkedArray& col, std::size_t base, loaded_value& v) {
  std::size_t at = base;
  for (const auto& chunk : col.chunks()) {
    const auto& a = static_cast<const arrow::DoubleArray&>(*chunk);
    const auto len = static_cast<std::size_t>(a.length());
    if (len == 0) continue;
    std::memcpy(v.f64.data() + at, a.raw_values(), len * sizeof(double));
    if (a.null_count() == 0) {
      for (std::size_t i = 0; i < len; ++i)
        arrow::bit_util::SetBit(v.validity.data(), static_cast<std::int64_t>(at + i));
    } else {
      arrow::internal::CopyBitmap(a.null_bitmap_data(), a.offset(), a.length(), v.validity.data(),
                                  static_cast<std::int64_t>(at));
      for (std::size_t i = 0; i < len; ++i)
        if (!arrow::bit_util::GetBit(v.validity.data(), at + i)) v.f64[at + i] = std::nan("");
      v.nulls += static_cast<std::size_t>(a.null_count());
    }
    at += len;
  }
}

// The file mapped, as the CSV reader maps its input: pages are decompressed straight from
// the page cache instead of being copied into buffers first (a tenth of a Parquet run's
// time). What cannot be mapped is read as before.
std::shared_ptr<arrow::io::RandomAccessFile> open_mapped(const std::string& path) {
  auto mapped = arrow::io::MemoryMappedFile::Open(path, arrow::io::FileMode::READ);
  if (mapped.ok()) return *mapped;
  return check(arrow::io::ReadableFile::Open(path), path);
}

}  // namespace

void choose_arrow_memory_pool() {
  // (read at Arrow's first allocation)
  ::setenv("ARROW_DEFAULT_MEMORY_POOL", "system", 0);
}

void read_parquet(const read_spec& o, const std::string& path, loaded_table& t,
                  const read_steps& steps) {
  const std::shared_ptr<arrow::io::RandomAccessFile> file = open_mapped(path);
  parquet::arrow::FileReaderBuilder builder;
  check(builder.Open(file), path);
  parquet::ArrowReaderProperties properties;
  properties.set_use_threads(o.threads > 1);  // columns decoded at once
  properties.set_pre_buffer(true);            // (coalesced reads of the chunks it needs)
  // Text keys come as dictionaries (Parquet stores them so): codes are then made once per
  // word of a row group, not looked up once per row.
  const parquet::SchemaDescriptor& leaves = *builder.raw_reader()->metadata()->schema();
  for (const std::string& k : o.keys) {
    const int leaf = leaves.ColumnIndex(k);
    if (leaf >= 0 && leaves.Column(leaf)->physical_type() == parquet::Type::BYTE_ARRAY &&
        leaves.Column(leaf)->logical_type()->is_string())
      properties.set_read_dictionary(leaf, true);
  }
  builder.properties(properties);
  const std::unique_ptr<parquet::arrow::FileReader> reader = check(builder.Build(), path);
  std::shared_ptr<arrow::Schema> schema;
  check(reader->GetSchema(&schema), path);
  {
    std::set<std::string> seen;  // (a column named twice could not be told apart)
    for (const auto& field : schema->fields())
      if (!seen.insert(field->name()).second)
        throw cli_error(path + ": the schema names the column " + shown_cell(field->name()) +
                        " twice");
  }
  // Keys.
  if (t.files.size() == 1)
    for (const std::string& k : o.keys) t.keys.push_back(loaded_key{k, true, {}, {}, {}});
  // Values: every numeric non-key, non-time column, or those --values selects.
  if (t.files.size() == 1) {
    for (const auto& field : schema->fields()) {
      const std::string& name = field->name();
      const std::optional<value_selection> candidate = value_candidate(o, name, t);
      if (!candidate) continue;
      const value_selection sel = *candidate;
      if (!is_number_type(*field->type())) {
        if (sel.requested)
          throw flag_error("--values", "column '" + name + "' of " + path + " has type " +
                                           field->type()->ToString() + ", not a number");
        t.columns_left_out.push_back(name);
        t.not_numeric.emplace_back(name, path + ": type " + field->type()->ToString());
        continue;
      }
      loaded_value v;
      v.name = name;
      v.type = value_type_of(*field->type());
      v.requested = sel.requested;
      t.values.push_back(std::move(v));
    }
    for (const std::string& p : o.value_patterns) {
      if (has_glob(p)) {
        if (std::none_of(t.values.begin(), t.values.end(),
                         [&](const loaded_value& v) { return glob_match(p, v.name); }))
          throw flag_error("--values", "pattern '" + p + "' matches no numeric column of " + path);
      } else if (!schema->GetFieldByName(p)) {
        if (o.absent_values_ok && p != o.time_column &&
            std::find(o.keys.begin(), o.keys.end(), p) == o.keys.end()) {
          t.values_absent.push_back(p);
          continue;
        }
        throw cli_error("--values: " + path + " has no column '" + p + "'");
      }
    }
  }
  // The row groups, all at once or (steps.rows) in steps of about that many rows.
  const int row_groups = reader->num_row_groups();
  const std::vector<int> columns = needed_columns(o, t, *reader, *schema);  // (only those)
  auto next_step = [&](int& next) {
    std::vector<int> groups;
    std::size_t step_rows = 0;
    while (next < row_groups && (groups.empty() || step_rows < steps.rows)) {
      step_rows += static_cast<std::size_t>(
          reader->parquet_reader()->metadata()->RowGroup(next)->num_rows());
      groups.push_back(next++);
    }
    return groups;
  };
  auto read_step = [&, path](const std::vector<int>& groups) {
    return check(reader->ReadRowGroups(groups, columns), path);
  };
  // In steps with more than one thread, the next step's row groups are decoded while this
  // one's rows are run and written (else the writer waits for each step's decoding).
  const bool read_ahead = steps.after && o.threads > 1;
  std::future<std::shared_ptr<arrow::Table> > ahead;  // (before `reader` ends: it ends first)
  std::size_t row_base = 0;                           // the file's rows before this step
  for (int next = 0; ahead.valid() || next < row_groups || (next == 0 && row_groups == 0);) {
    std::shared_ptr<arrow::Table> table;
    if (ahead.valid()) {
      table = ahead.get();
    } else {
      table = read_step(next_step(next));
      if (row_groups == 0) next = 1;
    }
    if (read_ahead && next < row_groups)
      ahead = std::async(std::launch::async, read_step, next_step(next));
    const auto n = static_cast<std::size_t>(table->num_rows());
    auto column = [&](const std::string& name, const char* flag) {
      auto c = table->GetColumnByName(name);
      if (!c) throw cli_error(std::string(flag) + ": " + path + " has no column '" + name + "'");
      return c;
    };

    // Rows kept by --where (rules.hpp); the first rule a row fails is counted.
    std::vector<std::uint8_t> keep(n, 1);
    std::vector<std::int32_t> rejected_by(o.on_reject ? n : 0, -1);  // the rule, for --rejects
    t.rejected_by.resize(o.where.size(), 0);
    for (std::size_t w = 0; w < o.where.size(); ++w) {
      for_each_cell(*column(o.where[w].column, "--where"), [&](std::size_t r, const cell& c) {
        if (keep[r] && !passes(o.where[w], c.null ? std::string() : text_of(c), c.null)) {
          keep[r] = 0;
          ++t.rejected_by[w];
          if (o.on_reject) rejected_by[r] = static_cast<std::int32_t>(w);
        }
      });
    }
    if (o.on_reject) report_rejects(o, path, *table, rejected_by, row_base);
    // Time, of the rows --where keeps; then the rows of other chunks (keep_time) go too.
    std::vector<std::int64_t> row_ns(n, 0);
    std::string why;
    std::size_t first_of_chunk = 0;
    for (const auto& chunk : column(o.time_column, "--time")->chunks()) {
      const auto rows = static_cast<std::size_t>(chunk->length());
      if (timestamps_by_block(*chunk, first_of_chunk, row_ns)) {
        if (o.keep_time)
          for (std::size_t r = first_of_chunk; r < first_of_chunk + rows; ++r)
            if (keep[r] && !o.keep_time(row_ns[r])) keep[r] = 0;
      } else {
        for_each_cell(*chunk, first_of_chunk, [&](std::size_t r, const cell& c) {
          if (!keep[r]) return;
          const std::optional<std::int64_t> ns = time_of(c, o.time_unit, why);
          if (!ns)
            throw input_error(path, row_base + r + 1, 0, o.time_column,
                              "cannot read the time: " + why);
          row_ns[r] = *ns;
          if (o.keep_time && !o.keep_time(*ns)) keep[r] = 0;
        });
      }
      first_of_chunk += rows;
    }
    std::vector<std::size_t> kept;
    kept.reserve(n);
    for (std::size_t r = 0; r < n; ++r)
      if (keep[r]) kept.push_back(r);
    t.rows_read += n;
    t.rows_filtered += n - kept.size();
    const std::size_t base = t.rows();
    std::vector<std::size_t> out_row(n, SIZE_MAX);  // input row -> kept row index
    for (std::size_t k = 0; k < kept.size(); ++k) out_row[kept[k]] = base + k;
    for (const std::size_t r : kept) {
      t.source_row.push_back(row_base + r + 1);
      t.time.push_back(row_ns[r]);
    }

    // Record ids (--unique).
    if (!o.unique_columns.empty()) {
      std::vector<std::vector<std::string> > cells(kept.size());
      std::vector<std::uint8_t> any_null(kept.size(), 0);
      for (const std::string& name : o.unique_columns)
        for_each_cell(*column(name, "--unique"), [&](std::size_t r, const cell& c) {
          if (out_row[r] == SIZE_MAX) return;
          const std::size_t k = out_row[r] - base;
          any_null[k] = any_null[k] || c.null;
          cells[k].push_back(c.null ? std::string() : text_of(c));
        });
      for (std::size_t k = 0; k < kept.size(); ++k)
        t.record_id.push_back(record_id_text(
            std::vector<std::string_view>(cells[k].begin(), cells[k].end()), any_null[k] != 0));
    }

    // Sequence numbers.
    if (!o.sequence_column.empty()) {
      t.sequence.resize(base + kept.size());
      for_each_cell(
          *column(o.sequence_column, "--sequence-column"), [&](std::size_t r, const cell& c) {
            if (out_row[r] == SIZE_MAX) return;
            if (c.null || c.k != cell::kind::integer)
              throw input_error(
                  path, row_base + r + 1, 0, o.sequence_column,
                  c.null ? "the sequence number is null" : "a sequence number must be an integer");
            t.sequence[out_row[r]] = c.i;
          });
    }

    // Each key column, and then each value column, converted on its own thread (up to
    // o.threads at once); an error is the one the column order would meet first.
    std::vector<std::function<void()> > conversions;
    for (std::size_t j = 0; j < o.keys.size(); ++j)
      conversions.emplace_back([&, j] {
        loaded_key& key = t.keys[j];
        key.values.resize(base + kept.size());
        std::unordered_map<std::int64_t, std::int64_t> integer_codes;
        word_cache words;
        auto code_of_cell = [&](std::size_t r, const cell& c) -> std::int64_t {
          if (c.null) throw input_error(path, row_base + r + 1, 0, key.name, "a key is null");
          if (c.k == cell::kind::other)
            throw input_error(path, row_base + r + 1, 0, key.name, "this type cannot be a key");
          // Everything goes through the dictionary; finish_string_key turns an all-integer
          // dictionary back into an integer key. (Integers: their text made once each.)
          std::int64_t code = 0;
          if (c.k == cell::kind::text) {
            bool added = false;
            code = words.id_of(c.s, key, added);
          } else if (c.k == cell::kind::integer) {
            const auto [at, added] = integer_codes.try_emplace(c.i, 0);
            if (added) at->second = key.code_of(std::to_string(c.i));
            code = at->second;
          } else {
            code = key.code_of(text_of(c));
          }
          return code;
        };
        std::size_t chunk_base = 0;
        for (const auto& chunk : column(o.keys[j], "--keys")->chunks()) {
          if (!key_codes_by_value(*chunk, chunk_base, out_row, key.values, code_of_cell))
            for_each_cell(*chunk, chunk_base, [&](std::size_t r, const cell& c) {
              if (out_row[r] != SIZE_MAX) key.values[out_row[r]] = code_of_cell(r, c);
            });
          chunk_base += static_cast<std::size_t>(chunk->length());
        }
      });
    run_in_order_of_errors(conversions, o.threads);

    conversions.clear();
    for (loaded_value& value : t.values)
      conversions.emplace_back([&, v = &value] {
        const auto col = column(v->name, "--values");
        if (!is_number_type(*col->type()) || value_type_of(*col->type()) != v->type)
          throw input_error(
              path, 0, 0, v->name,
              "has type " + col->type()->ToString() + ", unlike in " + t.files.front());
        const std::size_t rows = base + kept.size();
        v->validity.resize((rows + 7) / 8, 0);
        v->f64.resize(v->type == tsfill::value_type::float64 ? rows : 0);
        v->f32.resize(v->type == tsfill::value_type::float32 ? rows : 0);
        v->i64.resize(v->type == tsfill::value_type::int64 ? rows : 0);
        if (kept.size() == n && col->type()->id() == arrow::Type::DOUBLE) {
          copy_doubles(*col, base, *v);  // every row kept: whole chunks at once
          return;
        }
        for_each_cell(*col, [&](std::size_t r, const cell& c) {
          const std::size_t row = out_row[r];
          if (row == SIZE_MAX) return;
          if (c.null || c.k == cell::kind::other) {
            if (c.k == cell::kind::other && !c.null)
              throw input_error(path, row_base + r + 1, 0, v->name,
                                "the value does not fit in int64");
            ++v->nulls;
            if (v->type == tsfill::value_type::float64) v->f64[row] = std::nan("");
            if (v->type == tsfill::value_type::float32) v->f32[row] = std::nanf("");
            return;
          }
          v->validity[row / 8] =
              static_cast<std::uint8_t>(v->validity[row / 8] | (1U << (row % 8)));
          tsfill::visit(v->type, [&](auto* tag) {
            using T = std::remove_pointer_t<decltype(tag)>;
            if constexpr (std::is_same_v<T, std::int64_t>)
              v->template data<T>()[row] = c.i;
            else
              v->template data<T>()[row] = static_cast<T>(c.d);
          });
        });
      });
    run_in_order_of_errors(conversions, o.threads);
    // Every column is copied out: Arrow's decoded table goes (its memory, kept by malloc,
    // serves the pipeline and the next row groups; ReleaseUnused would trim the heap).
    table.reset();
    row_base += n;
    if (steps.after) steps.after();
  }
}

namespace {

// --provenance: per value column COL_how, a dictionary column over the six status words
// (indices are the status bytes themselves), and COL_from, slot_ts's type, null where the
// value came from no observation.
void append_provenance(const std::string& path, const write_spec& o, const tsfill::result& r,
                       std::size_t begin, std::size_t rows, arrow::MemoryPool* pool,
                       const output_layout& layout, std::size_t& name, arrow::FieldVector& fields,
                       arrow::ArrayVector& arrays) {
  if (!o.provenance.how) return;
  std::shared_ptr<arrow::Array> words;
  {
    arrow::StringBuilder b(pool);
    for (int s = 0; s < tsfill::cell_status_count; ++s)
      check(b.Append(tsfill::to_string(static_cast<tsfill::cell_status>(s))), path);
    check(b.Finish(&words), path);
  }
  const auto how_type = arrow::dictionary(arrow::int8(), arrow::utf8());
  const auto from_type = arrow::timestamp(arrow::TimeUnit::NANO, o.zone ? o.zone->name() : "UTC");
  for (const tsfill::result_column& c : r.values()) {
    auto codes = check(arrow::AllocateBuffer(static_cast<std::int64_t>(rows), pool), path);
    std::memcpy(codes->mutable_data(), c.status().data() + begin, rows);
    const auto indices = std::make_shared<arrow::Int8Array>(
        static_cast<std::int64_t>(rows), std::shared_ptr<arrow::Buffer>(std::move(codes)));
    arrays.push_back(check(arrow::DictionaryArray::FromArrays(how_type, indices, words), path));
    fields.push_back(arrow::field(layout.names[name++], how_type, false));
    if (!o.provenance.from) continue;
    arrow::TimestampBuilder b(from_type, pool);
    check(b.Reserve(static_cast<std::int64_t>(rows)), path);
    for (std::size_t i = 0; i < rows; ++i) {
      const std::int64_t t = c.source_times()[begin + i];
      if (t == tsfill::no_source_time)
        b.UnsafeAppendNull();
      else
        b.UnsafeAppend(t);
    }
    std::shared_ptr<arrow::Array> a;
    check(b.Finish(&a), path);
    arrays.push_back(std::move(a));
    fields.push_back(arrow::field(layout.names[name++], from_type, true));
  }
}

}  // namespace

namespace {

constexpr std::int64_t row_group_rows = 1 << 20;

// The output columns of segments [first, last) as Arrow arrays (slot times and values over
// the result's own memory).
std::shared_ptr<arrow::Table> result_table(const std::string& path, const write_spec& o,
                                           const output_layout& layout, const loaded_table& t,
                                           const tsfill::result& r, std::size_t first,
                                           std::size_t last) {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  std::size_t rows = 0;
  for (std::size_t s = first; s < last; ++s) rows += r.segments()[s].size;
  const std::size_t begin = first < last ? r.segments()[first].offset : 0;
  const auto segs = r.segments().subspan(first, last - first);
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  auto finish = [&](arrow::ArrayBuilder& b, std::shared_ptr<arrow::Field> f) {
    std::shared_ptr<arrow::Array> a;
    check(b.Finish(&a), path);
    fields.push_back(std::move(f));
    arrays.push_back(std::move(a));
  };
  std::size_t name = 0;
  if (layout.with_partition) {
    arrow::Date32Builder b(pool);
    check(b.Reserve(static_cast<std::int64_t>(rows)), path);
    for (const tsfill::segment& s : segs)
      for (std::size_t i = 0; i < s.size; ++i)
        b.UnsafeAppend(static_cast<std::int32_t>(s.partition));
    finish(b, arrow::field(layout.names[name++], arrow::date32(), false));
  }
  for (std::size_t j = 0; j < t.keys.size(); ++j) {
    if (t.keys[j].is_string) {
      arrow::StringBuilder b(pool);
      for (const tsfill::segment& s : segs) {
        const std::string& w = t.keys[j].words[static_cast<std::size_t>(r.distinct_keys(j)[s.key])];
        for (std::size_t i = 0; i < s.size; ++i) check(b.Append(w), path);
      }
      finish(b, arrow::field(layout.names[name++], arrow::utf8(), false));
    } else {
      arrow::Int64Builder b(pool);
      check(b.Reserve(static_cast<std::int64_t>(rows)), path);
      for (const tsfill::segment& s : segs)
        for (std::size_t i = 0; i < s.size; ++i) b.UnsafeAppend(r.distinct_keys(j)[s.key]);
      finish(b, arrow::field(layout.names[name++], arrow::int64(), false));
    }
  }
  // Slot times and value columns are the result's own memory, not copies: Arrow arrays over
  // it (the result outlives the write), starting at row `begin`, with its bitmaps.
  auto borrowed = [&](std::shared_ptr<arrow::DataType> type, const void* values, std::size_t width,
                      const std::uint8_t* validity, bool nullable) {
    auto buffer = [](const void* p, std::size_t bytes) {
      return std::make_shared<arrow::Buffer>(static_cast<const std::uint8_t*>(p),
                                             static_cast<std::int64_t>(bytes));
    };
    const std::size_t end = begin + rows;
    auto data = arrow::ArrayData::Make(
        type, static_cast<std::int64_t>(rows),
        {validity != nullptr ? buffer(validity, (end + 7) / 8) : nullptr,
         buffer(values, end * width)},
        validity != nullptr ? arrow::kUnknownNullCount : 0, static_cast<std::int64_t>(begin));
    fields.push_back(arrow::field(layout.names[name++], std::move(type), nullable));
    arrays.push_back(arrow::MakeArray(data));
  };
  // UTC instants; with --tz the type carries the zone, so readers show local times.
  borrowed(arrow::timestamp(arrow::TimeUnit::NANO, o.zone ? o.zone->name() : "UTC"),
           r.slot_times().data(), sizeof(std::int64_t), nullptr, false);
  for (const bool filled : {false, true}) {
    for (const tsfill::result_column& c : r.values()) {
      if (!filled && !c.has_original()) continue;  // (--no-original)
      tsfill::visit(c.type(), [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        borrowed(arrow::CTypeTraits<T>::type_singleton(),
                 (filled ? c.filled<T>() : c.original<T>()).data(), sizeof(T),
                 (filled ? c.filled_validity() : c.original_validity()).data(), true);
      });
    }
  }
  append_provenance(path, o, r, begin, rows, pool, layout, name, fields, arrays);
  return arrow::Table::Make(arrow::schema(fields), arrays, static_cast<std::int64_t>(rows));
}

// Whether Snappy pays on a column written PLAIN (no dictionary): judged on its first non-null
// values, up to a page of them (1 MiB), as the page would hold them. Values that do not
// shrink by a tenth are written uncompressed: on the reference workload's random decimals
// Snappy saves 0-5 % and costs a tenth of the write; on the bundled weather data (few
// decimals, repeats) it saves 53-93 %, so a fixed choice either way would be wrong.
bool snappy_pays(const arrow::Array& column) {
  const auto& data = *column.data();
  const int width = column.type()->byte_width();
  if (width <= 0 || data.buffers.size() < 2 || !data.buffers[1]) return true;
  const std::uint8_t* values = data.buffers[1]->data() + data.offset * width;
  constexpr std::size_t page_bytes = 1 << 20;
  std::vector<std::uint8_t> sample;
  sample.reserve(std::min<std::size_t>(
      page_bytes, static_cast<std::size_t>(column.length()) * static_cast<std::size_t>(width)));
  for (std::int64_t i = 0; i < column.length() && sample.size() < page_bytes; ++i)
    if (column.IsValid(i))
      sample.insert(sample.end(), values + i * width, values + (i + 1) * width);
  if (sample.size() < 4096) return true;  // (too few values to judge: the usual choice)
  static const std::unique_ptr<arrow::util::Codec> snappy =
      arrow::util::Codec::Create(arrow::Compression::SNAPPY).ValueOrDie();
  const auto size = static_cast<std::int64_t>(sample.size());
  std::vector<std::uint8_t> compressed(
      static_cast<std::size_t>(snappy->MaxCompressedLen(size, sample.data())));
  const arrow::Result<std::int64_t> got = snappy->Compress(
      size, sample.data(), static_cast<std::int64_t>(compressed.size()), compressed.data());
  return !got.ok() || *got * 10 < size * 9;
}

// How the columns of `table` are written.
std::shared_ptr<parquet::WriterProperties> writer_properties(const arrow::Table& table,
                                                             const output_layout& layout,
                                                             const loaded_table& t) {
  const arrow::FieldVector& fields = table.schema()->fields();
  // Snappy; no dictionary for the value columns and the slot times, whose values hardly
  // repeat within a page (measured on the reference workload: the dictionary attempt cost
  // a fifth of the write and saved no bytes); keys and partitions keep theirs. Of those
  // written without a dictionary, the ones Snappy would not shrink are left uncompressed.
  parquet::WriterProperties::Builder settings;
  settings.compression(parquet::Compression::SNAPPY);
  for (std::size_t c = 0; c < fields.size(); ++c) {
    const arrow::Type::type id = fields[c]->type()->id();
    if (id == arrow::Type::DOUBLE || id == arrow::Type::FLOAT || id == arrow::Type::TIMESTAMP ||
        (id == arrow::Type::INT64 && c >= t.keys.size() + (layout.with_partition ? 1U : 0U))) {
      settings.disable_dictionary(fields[c]->name());
      const arrow::ChunkedArray& column = *table.column(static_cast<int>(c));
      if (column.num_chunks() > 0 && !snappy_pays(*column.chunk(0)))
        settings.compression(fields[c]->name(), parquet::Compression::UNCOMPRESSED);
    }
  }
  settings.max_row_group_length(row_group_rows);
  // Values handed to a column's encoder at a time: 64 Ki, not Arrow's 1,024, whose per-batch
  // work (levels, statistics, page checks) was a tenth of the write (reference file, 1
  // thread: write 0.64 -> 0.58 s, the file byte for byte the same). Pages may run past
  // their 1 MiB by up to a batch.
  settings.write_batch_size(1 << 16);
  return settings.build();
}

// The Arrow schema goes into the file too, so readers get the zone of slot_ts back. With
// o.threads > 1 the columns of a row group are encoded at once.
std::shared_ptr<parquet::ArrowWriterProperties> arrow_writer_properties(const write_spec& o) {
  return parquet::ArrowWriterProperties::Builder()
      .store_schema()
      ->set_use_threads(o.threads > 1)
      ->build();
}

// Arrow's output stream over an output_file (O_DIRECT where it can: see output_file.hpp).
class direct_output_stream final : public arrow::io::OutputStream {
 public:
  explicit direct_output_stream(const std::string& path) : file_(path, false) {}
  arrow::Status Write(const void* data, std::int64_t nbytes) override {
    if (closed_) return arrow::Status::Invalid("write to a closed file");
    if (!file_.write({static_cast<const char*>(data), static_cast<std::size_t>(nbytes)}))
      return arrow::Status::IOError("write failed: ", std::strerror(errno));
    position_ += nbytes;
    return arrow::Status::OK();
  }
  arrow::Result<std::int64_t> Tell() const override { return position_; }
  bool closed() const override { return closed_; }
  arrow::Status Close() override {
    if (closed_) return arrow::Status::OK();
    closed_ = true;
    if (!file_.close()) return arrow::Status::IOError("write failed: ", std::strerror(errno));
    return arrow::Status::OK();
  }

 private:
  output_file file_;
  std::int64_t position_ = 0;
  bool closed_ = false;
};

std::shared_ptr<arrow::io::OutputStream> create_file(const std::string& path) {
  return std::make_shared<direct_output_stream>(path);  // (output_file holds the signals)
}

}  // namespace

void write_parquet(const std::string& path, const write_spec& o, const output_layout& layout,
                   const loaded_table& t, const tsfill::result& r, std::size_t first,
                   std::size_t last) {
  const auto table = result_table(path, o, layout, t, r, first, last);
  const auto out = create_file(path);
  check(
      parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, row_group_rows,
                                 writer_properties(*table, layout, t), arrow_writer_properties(o)),
      path);
  check(out->Close(), path);
}

struct parquet_file_writer::state {
  std::string path;
  std::shared_ptr<arrow::io::OutputStream> out;
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  std::int64_t rows = 0;
  std::shared_ptr<arrow::Table> empty;  // no rows at all: written as one run writes it
};

parquet_file_writer::parquet_file_writer(std::string path) : s_(std::make_unique<state>()) {
  s_->path = std::move(path);
}

parquet_file_writer::~parquet_file_writer() = default;

void parquet_file_writer::append(const write_spec& o, const output_layout& layout,
                                 const loaded_table& t, const tsfill::result& r) {
  state& s = *s_;
  const auto table = result_table(s.path, o, layout, t, r, 0, r.segments().size());
  if (!s.writer) {
    s.out = create_file(s.path);
    s.writer = check(parquet::arrow::FileWriter::Open(
                         *table->schema(), arrow::default_memory_pool(), s.out,
                         writer_properties(*table, layout, t), arrow_writer_properties(o)),
                     s.path);
  }
  if (table->num_rows() == 0 && !s.empty) s.empty = table;
  s.rows += table->num_rows();
  // Into the buffered row group: row groups are cut at row_group_rows, not at the chunks.
  arrow::TableBatchReader batches(*table);
  std::shared_ptr<arrow::RecordBatch> batch;
  while (true) {
    check(batches.ReadNext(&batch), s.path);
    if (!batch) break;
    check(s.writer->WriteRecordBatch(*batch), s.path);
  }
}

void parquet_file_writer::close() {
  state& s = *s_;
  if (s.writer && s.rows == 0 && s.empty)  // (one empty row group, as WriteTable makes)
    check(s.writer->WriteTable(*s.empty, row_group_rows), s.path);
  if (s.writer) check(s.writer->Close(), s.path);
  if (s.out) check(s.out->Close(), s.path);
}

}  // namespace tsfill_io

#endif
