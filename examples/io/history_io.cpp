#include "history_io.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli_error.hpp"
#include "csv_reader.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "timefmt.hpp"

#ifdef TSFILL_CLI_HAVE_PARQUET
#include <arrow/api.h>
#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/io/api.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>
#endif

namespace tsfill_io {

namespace h = tsfill::history;
namespace fs = std::filesystem;

namespace {

bool null_token(std::string_view s) {
  return s.empty() || s == "NA" || s == "null" || s == "NULL";
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

void append_double(std::string& out, double v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::vector<std::string> csv_header(const std::string& path, char delimiter) {
  const std::string text = read_file(path);
  csv_parser parser(text, delimiter, path);
  std::vector<std::string_view> fields;
  if (!parser.next(fields)) throw cli_error(path + ": no header");
  return {fields.begin(), fields.end()};
}

// --- CSV partitions ------------------------------------------------------------------------

struct csv_kept {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> cells;  // per row, every column's text as read
  std::size_t key = 0;
  std::vector<std::size_t> arrays;  // column of each array (layout order)
};

void read_csv_partition(history_partition& p, const history_layout& layout, history_keys& keys,
                        char delimiter) {
  const std::string text = read_file(p.path);
  csv_parser parser(text, delimiter, p.path);
  std::vector<std::string_view> fields;
  auto kept = std::make_shared<csv_kept>();
  if (!parser.next(fields)) throw cli_error(p.path + ": no header");
  kept->header.assign(fields.begin(), fields.end());
  auto column = [&](const std::string& name) {
    const auto it = std::find(kept->header.begin(), kept->header.end(), name);
    if (it == kept->header.end())
      throw input_error(p.path, 0, 0, name, "no such column in partition " + p.dir);
    return static_cast<std::size_t>(it - kept->header.begin());
  };
  kept->key = column(layout.key);
  h::partition& d = p.data;
  d.length = layout.length;
  d.arrays.clear();
  for (const auto& [array, staged] : layout.columns) {
    kept->arrays.push_back(column(array));
    d.arrays.push_back({array, {}, {}, {}});
  }
  const std::size_t n = layout.length;
  while (parser.next(fields)) {
    const std::uint64_t row = parser.data_row();
    if (fields.size() != kept->header.size())
      throw input_error(p.path, row, parser.record_line(), "",
                        "has " + std::to_string(fields.size()) + " fields, the header " +
                            std::to_string(kept->header.size()));
    const std::string key(fields[kept->key]);
    d.keys.push_back(keys.text ? keys.code(key) : parse_int(key).value_or(INT64_MIN));
    if (!keys.text && d.keys.back() == INT64_MIN)
      throw input_error(p.path, row, parser.record_line(), layout.key, "not an integer key");
    for (std::size_t a = 0; a < kept->arrays.size(); ++a) {
      h::array_column& col = d.arrays[a];
      const std::string_view cell = fields[kept->arrays[a]];
      const std::string& name = layout.columns[a].first;
      if (cell.empty()) {  // a null list
        col.row_valid.push_back(0);
        col.values.resize(col.values.size() + n, 0.0);
        col.valid.resize(col.valid.size() + n, 0);
        continue;
      }
      if (cell.size() < 2 || cell.front() != '[' || cell.back() != ']')
        throw input_error(p.path, row, parser.record_line(), name,
                          "not an array [v0;v1;...]: " + shown_cell(cell));
      col.row_valid.push_back(1);
      std::size_t count = 0;
      const std::string_view inner = cell.substr(1, cell.size() - 2);
      for (std::size_t at = 0;;) {
        const std::size_t end = std::min(inner.find(';', at), inner.size());
        const std::string_view e = inner.substr(at, end - at);
        if (++count <= n) {
          if (e.empty()) {
            col.values.push_back(0.0);
            col.valid.push_back(0);
          } else {
            const auto v = parse_double(e);
            if (!v)
              throw input_error(p.path, row, parser.record_line(), name,
                                "element " + std::to_string(count - 1) + " " + shown_cell(e) +
                                    " is not a number");
            col.values.push_back(*v);
            col.valid.push_back(1);
          }
        }
        if (end >= inner.size()) break;
        at = end + 1;
      }
      if (count != n)
        throw input_error(
            p.path, row, parser.record_line(), name,
            "an array of " + std::to_string(count) + " elements; --length is " + std::to_string(n));
    }
    kept->cells.emplace_back(fields.begin(), fields.end());
  }
  p.kept = kept;
}

void write_csv_partition(const history_partition& p, const std::string& path,
                         const history_keys& keys, char delimiter) {
  const csv_kept& kept = *static_cast<const csv_kept*>(p.kept.get());
  const h::partition& d = p.data;
  std::string out;
  for (std::size_t c = 0; c < kept.header.size(); ++c) {
    if (c) out.push_back(delimiter);
    append_csv_field(out, kept.header[c], delimiter);
  }
  out.push_back('\n');
  std::vector<int> array_of(kept.header.size(), -1);
  for (std::size_t a = 0; a < kept.arrays.size(); ++a)
    array_of[kept.arrays[a]] = static_cast<int>(a);
  const std::size_t n = d.length;
  for (std::size_t r = 0; r < d.rows(); ++r) {
    const bool old = r < kept.cells.size();
    for (std::size_t c = 0; c < kept.header.size(); ++c) {
      if (c) out.push_back(delimiter);
      if (array_of[c] >= 0) {
        const h::array_column& col = d.arrays[static_cast<std::size_t>(array_of[c])];
        if (!col.row_valid[r]) continue;
        out.push_back('[');
        for (std::size_t i = 0; i < n; ++i) {
          if (i) out.push_back(';');
          if (col.valid[r * n + i]) append_double(out, col.values[r * n + i]);
        }
        out.push_back(']');
      } else if (old) {
        append_csv_field(out, kept.cells[r][c], delimiter);
      } else if (c == kept.key) {
        append_csv_field(out, keys.text ? keys.word(d.keys[r]) : std::to_string(d.keys[r]),
                         delimiter);
      }
    }
    out.push_back('\n');
  }
  std::ofstream f(path, std::ios::binary);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  f.close();
  if (!f) throw cli_error(path + ": cannot write");
}

#ifdef TSFILL_CLI_HAVE_PARQUET
// --- Parquet partitions --------------------------------------------------------------------

template <class T>
T check(arrow::Result<T> r, const std::string& path) {
  if (!r.ok()) throw cli_error(path + ": " + r.status().ToString());
  return std::move(r).ValueUnsafe();
}
void check(const arrow::Status& s, const std::string& path) {
  if (!s.ok()) throw cli_error(path + ": " + s.ToString());
}

// How the input was encoded, so that the rewrite encodes alike: its codec, and the leaf
// columns whose data pages were not dictionary-encoded (high-cardinality doubles, where
// the writer's dictionary attempt only costs: a quarter of the time of a rewrite here).
struct parquet_encoding {
  parquet::Compression::type compression = parquet::Compression::SNAPPY;
  std::vector<std::string> plain_columns;  // dotted paths
};

struct parquet_kept {
  std::shared_ptr<arrow::Table> table;  // chunks combined
  int key = -1;
  std::vector<int> arrays;
  parquet_encoding encoding;
};

parquet_encoding encoding_of(const parquet::FileMetaData& meta) {
  parquet_encoding e;
  if (meta.num_row_groups() == 0) return e;
  const auto group = meta.RowGroup(0);
  if (meta.num_columns() > 0) e.compression = group->ColumnChunk(0)->compression();
  for (int c = 0; c < meta.num_columns(); ++c) {
    const auto chunk = group->ColumnChunk(c);
    const auto& stats = chunk->encoding_stats();
    if (stats.empty()) continue;  // (an older writer: keep the default)
    bool dictionary = chunk->has_dictionary_page();
    for (const parquet::PageEncodingStats& s : stats)
      if ((s.page_type == parquet::PageType::DATA_PAGE ||
           s.page_type == parquet::PageType::DATA_PAGE_V2) &&
          s.encoding != parquet::Encoding::RLE_DICTIONARY &&
          s.encoding != parquet::Encoding::PLAIN_DICTIONARY)
        dictionary = false;
    if (!dictionary) e.plain_columns.push_back(meta.schema()->Column(c)->path()->ToDotString());
  }
  return e;
}

std::shared_ptr<arrow::Table> read_parquet_table(const std::string& path,
                                                 parquet_encoding* encoding) {
  // Mapped (pages decompressed from the page cache, not copied first); a partition replaced
  // meanwhile keeps its old bytes for the mapping.
  std::shared_ptr<arrow::io::RandomAccessFile> file;
  if (auto mapped = arrow::io::MemoryMappedFile::Open(path, arrow::io::FileMode::READ); mapped.ok())
    file = *mapped;
  else
    file = check(arrow::io::ReadableFile::Open(path), path);
  auto reader = check(parquet::arrow::OpenFile(file, arrow::default_memory_pool()), path);
  if (encoding) *encoding = encoding_of(*reader->parquet_reader()->metadata());
  std::shared_ptr<arrow::Table> t = check(reader->ReadTable(), path);
  return check(t->CombineChunks(), path);
}

bool integer_type(arrow::Type::type t) {
  return t == arrow::Type::INT64 || t == arrow::Type::INT32 || t == arrow::Type::INT16 ||
         t == arrow::Type::INT8;
}
bool text_type(arrow::Type::type t) {
  return t == arrow::Type::STRING || t == arrow::Type::LARGE_STRING;
}

std::shared_ptr<arrow::Array> only_chunk(const std::shared_ptr<arrow::ChunkedArray>& c) {
  if (c->num_chunks() == 1) return c->chunk(0);
  return check(arrow::Concatenate(c->chunks()), "a column");
}

// Row r of an integer or text key array, as a word.
std::string key_text(const arrow::Array& a, std::int64_t r) {
  switch (a.type_id()) {
    case arrow::Type::STRING:
      return static_cast<const arrow::StringArray&>(a).GetString(r);
    case arrow::Type::LARGE_STRING:
      return static_cast<const arrow::LargeStringArray&>(a).GetString(r);
    case arrow::Type::INT64:
      return std::to_string(static_cast<const arrow::Int64Array&>(a).Value(r));
    case arrow::Type::INT32:
      return std::to_string(static_cast<const arrow::Int32Array&>(a).Value(r));
    case arrow::Type::INT16:
      return std::to_string(static_cast<const arrow::Int16Array&>(a).Value(r));
    default:
      return std::to_string(static_cast<const arrow::Int8Array&>(a).Value(r));
  }
}

void read_parquet_partition(history_partition& p, const history_layout& layout,
                            history_keys& keys) {
  auto kept = std::make_shared<parquet_kept>();
  kept->table = read_parquet_table(p.path, &kept->encoding);
  const arrow::Schema& schema = *kept->table->schema();
  kept->key = schema.GetFieldIndex(layout.key);
  if (kept->key < 0)
    throw input_error(p.path, 0, 0, layout.key, "no such column in partition " + p.dir);
  const auto key_array = only_chunk(kept->table->column(kept->key));
  const auto key_type = key_array->type_id();
  if (!(integer_type(key_type) || text_type(key_type)))
    throw input_error(
        p.path, 0, 0, layout.key,
        "the key column is " + key_array->type()->ToString() + ", not an integer or text column");
  h::partition& d = p.data;
  d.length = layout.length;
  d.arrays.clear();
  const std::int64_t rows = kept->table->num_rows();
  for (std::int64_t r = 0; r < rows; ++r) {
    if (key_array->IsNull(r))
      throw input_error(p.path, static_cast<std::uint64_t>(r + 1), 0, layout.key, "a null key");
    const std::string w = key_text(*key_array, r);
    d.keys.push_back(keys.text ? keys.code(w) : *parse_int(w));
  }
  const std::size_t n = layout.length;
  for (const auto& [array, staged] : layout.columns) {
    const int at = schema.GetFieldIndex(array);
    if (at < 0) throw input_error(p.path, 0, 0, array, "no such column in partition " + p.dir);
    kept->arrays.push_back(at);
    const auto col = only_chunk(kept->table->column(at));
    const auto type = col->type_id();
    std::shared_ptr<arrow::Array> values;
    if (type == arrow::Type::LIST)
      values = static_cast<const arrow::ListArray&>(*col).values();
    else if (type == arrow::Type::LARGE_LIST)
      values = static_cast<const arrow::LargeListArray&>(*col).values();
    else if (type == arrow::Type::FIXED_SIZE_LIST)
      values = static_cast<const arrow::FixedSizeListArray&>(*col).values();
    if (!values || values->type_id() != arrow::Type::DOUBLE)
      throw input_error(p.path, 0, 0, array,
                        "named as an array column, but it is " + col->type()->ToString() +
                            " (a list of doubles is needed)");
    const auto& dv = static_cast<const arrow::DoubleArray&>(*values);
    const double* raw = dv.raw_values();
    const std::uint8_t* bits = dv.null_bitmap_data();  // (null: no nulls)
    const std::int64_t bit0 = dv.offset();
    h::array_column c{array, {}, {}, {}};
    c.values.assign(static_cast<std::size_t>(rows) * n, 0.0);
    c.valid.assign(static_cast<std::size_t>(rows) * n, 0);
    c.row_valid.assign(static_cast<std::size_t>(rows), 0);
    const std::uint8_t* list_bits = col->null_bitmap_data();
    for (std::int64_t r = 0; r < rows; ++r) {
      if (list_bits &&
          !arrow::bit_util::GetBit(list_bits, static_cast<std::uint64_t>(col->offset() + r)))
        continue;
      std::int64_t first = 0, len = 0;
      if (type == arrow::Type::LIST) {
        const auto& l = static_cast<const arrow::ListArray&>(*col);
        first = l.value_offset(r), len = l.value_length(r);
      } else if (type == arrow::Type::LARGE_LIST) {
        const auto& l = static_cast<const arrow::LargeListArray&>(*col);
        first = l.value_offset(r), len = l.value_length(r);
      } else {
        const auto& l = static_cast<const arrow::FixedSizeListArray&>(*col);
        first = l.value_offset(r), len = l.value_length(r);
      }
      if (static_cast<std::size_t>(len) != n)
        throw input_error(
            p.path, static_cast<std::uint64_t>(r + 1), 0, array,
            "an array of " + std::to_string(len) + " elements; --length is " + std::to_string(n));
      const std::size_t base = static_cast<std::size_t>(r) * n;
      c.row_valid[static_cast<std::size_t>(r)] = 1;
      // Values copied whole (a null's slot holds whatever it holds: zeroed below), the
      // validity bitmap spread to a byte per element.
      std::memcpy(&c.values[base], raw + first, n * sizeof(double));
      for (std::size_t i = 0; i < n; ++i) {
        const bool v =
            !bits || arrow::bit_util::GetBit(bits, static_cast<std::uint64_t>(bit0 + first) + i);
        c.valid[base + i] = v ? 1 : 0;
        if (!v) c.values[base + i] = 0.0;
      }
    }
    d.arrays.push_back(std::move(c));
  }
  p.kept = kept;
}

// The rows of `original` followed by `more` new ones holding these keys.
std::shared_ptr<arrow::Array> keys_with_new_rows(const std::shared_ptr<arrow::Array>& original,
                                                 const h::partition& d, const history_keys& keys,
                                                 const std::string& path) {
  const std::size_t old_rows = static_cast<std::size_t>(original->length());
  if (d.rows() == old_rows) return original;
  std::shared_ptr<arrow::Array> added;
  auto word = [&](std::size_t r) {
    return keys.text ? keys.word(d.keys[r]) : std::to_string(d.keys[r]);
  };
  auto build = [&](auto& b) {
    for (std::size_t r = old_rows; r < d.rows(); ++r) {
      using B = std::decay_t<decltype(b)>;
      if constexpr (std::is_same_v<B, arrow::StringBuilder> ||
                    std::is_same_v<B, arrow::LargeStringBuilder>)
        check(b.Append(word(r)), path);
      else
        check(b.Append(static_cast<typename B::value_type>(d.keys[r])), path);
    }
    check(b.Finish(&added), path);
  };
  switch (original->type_id()) {
    case arrow::Type::STRING: {
      arrow::StringBuilder b;
      build(b);
      break;
    }
    case arrow::Type::LARGE_STRING: {
      arrow::LargeStringBuilder b;
      build(b);
      break;
    }
    case arrow::Type::INT64: {
      arrow::Int64Builder b;
      build(b);
      break;
    }
    case arrow::Type::INT32: {
      arrow::Int32Builder b;
      build(b);
      break;
    }
    case arrow::Type::INT16: {
      arrow::Int16Builder b;
      build(b);
      break;
    }
    default: {
      arrow::Int8Builder b;
      build(b);
      break;
    }
  }
  return check(arrow::Concatenate({original, added}), path);
}

// An array column from the partition's data, of the original list type.
std::shared_ptr<arrow::Array> list_array(const h::array_column& c, std::size_t rows, std::size_t n,
                                         const std::shared_ptr<arrow::DataType>& type,
                                         const std::string& path) {
  arrow::MemoryPool* pool = arrow::default_memory_pool();
  const std::int64_t elements = static_cast<std::int64_t>(rows * n);
  // The values as they are: the partition outlives the write (no copy of the largest part).
  auto values = std::make_shared<arrow::Buffer>(
      reinterpret_cast<const std::uint8_t*>(c.values.data()), elements * 8);
  auto bits = [&](const std::vector<std::uint8_t>& v, std::int64_t* nulls) {
    auto b = check(arrow::AllocateBitmap(static_cast<std::int64_t>(v.size()), pool), path);
    std::memset(b->mutable_data(), 0, static_cast<std::size_t>(b->size()));
    std::size_t set = 0;
    std::uint8_t* out = b->mutable_data();
    for (std::size_t i = 0; i < v.size(); i += 8) {  // a byte of the bitmap at a time
      unsigned byte = 0;
      const std::size_t end = std::min(v.size(), i + 8);
      for (std::size_t k = i; k < end; ++k) byte |= (v[k] ? 1U : 0U) << (k - i);
      out[i / 8] = static_cast<std::uint8_t>(byte);
      set += static_cast<std::size_t>(__builtin_popcount(byte));
    }
    *nulls = static_cast<std::int64_t>(v.size() - set);
    return std::shared_ptr<arrow::Buffer>(std::move(b));
  };
  std::int64_t value_nulls = 0, list_nulls = 0;
  auto value_bits = bits(c.valid, &value_nulls);
  auto list_bits = bits(c.row_valid, &list_nulls);
  const auto& list_type = static_cast<const arrow::BaseListType&>(*type);
  auto child =
      arrow::ArrayData::Make(list_type.value_type(), elements,
                             {value_nulls ? value_bits : nullptr, std::move(values)}, value_nulls);
  const std::int64_t len = static_cast<std::int64_t>(rows);
  std::shared_ptr<arrow::Buffer> validity = list_nulls ? list_bits : nullptr;
  if (type->id() == arrow::Type::FIXED_SIZE_LIST)
    return arrow::MakeArray(arrow::ArrayData::Make(type, len, {validity}, {child}, list_nulls));
  const bool large = type->id() == arrow::Type::LARGE_LIST;
  auto offsets = check(arrow::AllocateBuffer((len + 1) * (large ? 8 : 4), pool), path);
  for (std::int64_t r = 0; r <= len; ++r) {
    // (a null list takes no elements in Arrow's sense, but keeping n per row is valid too)
    if (large)
      reinterpret_cast<std::int64_t*>(offsets->mutable_data())[r] =
          r * static_cast<std::int64_t>(n);
    else
      reinterpret_cast<std::int32_t*>(offsets->mutable_data())[r] =
          static_cast<std::int32_t>(r * static_cast<std::int64_t>(n));
  }
  return arrow::MakeArray(
      arrow::ArrayData::Make(type, len, {validity, std::move(offsets)}, {child}, list_nulls));
}

void write_parquet_partition(const history_partition& p, const std::string& path,
                             const history_keys& keys) {
  const parquet_kept& kept = *static_cast<const parquet_kept*>(p.kept.get());
  const h::partition& d = p.data;
  const auto& table = kept.table;
  const std::int64_t added = static_cast<std::int64_t>(d.rows()) - table->num_rows();
  arrow::ArrayVector columns;
  for (int i = 0; i < table->num_columns(); ++i) {
    const auto original = only_chunk(table->column(i));
    const auto a = std::find(kept.arrays.begin(), kept.arrays.end(), i);
    if (i == kept.key) {
      columns.push_back(keys_with_new_rows(original, d, keys, path));
    } else if (a != kept.arrays.end()) {
      const std::size_t k = static_cast<std::size_t>(a - kept.arrays.begin());
      columns.push_back(list_array(d.arrays[k], d.rows(), d.length, original->type(), path));
    } else if (added > 0) {
      const auto nulls = check(arrow::MakeArrayOfNull(original->type(), added), path);
      columns.push_back(check(arrow::Concatenate({original, nulls}), path));
    } else {
      columns.push_back(original);
    }
  }
  const auto out_table =
      arrow::Table::Make(table->schema(), columns, static_cast<std::int64_t>(d.rows()));
  auto out = [&] {
    const auto no_signal_now = hold_signals();
    return check(arrow::io::FileOutputStream::Open(path), path);
  }();
  parquet::WriterProperties::Builder builder;
  builder.compression(kept.encoding.compression);
  for (const std::string& column : kept.encoding.plain_columns) builder.disable_dictionary(column);
  const auto props = builder.build();
  const auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  check(parquet::arrow::WriteTable(*out_table, arrow::default_memory_pool(), out, 1 << 20, props,
                                   arrow_props),
        path);
  check(out->Close(), path);
}
#endif

}  // namespace

std::map<h::month, history_partition> list_history_partitions(const std::string& dir) {
  std::map<h::month, history_partition> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw flag_error("--table", dir + " is not a directory");
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("month=", 0) != 0) continue;
    const auto m = h::parse_month(name.substr(6));
    if (!m || name.size() != 13) continue;
    history_partition p;
    p.dir = name;
    for (const char* ext : {"parquet", "csv"}) {
      const std::string f = e.path().string() + "/part-0." + ext;
      if (fs::exists(f, ec)) {
        p.path = f;
        p.format = ext;
        break;
      }
    }
    if (p.path.empty()) continue;
    p.data.m = *m;
    out.emplace(*m, std::move(p));
  }
  return out;
}

#ifdef TSFILL_CLI_HAVE_PARQUET
namespace {

std::shared_ptr<arrow::Schema> parquet_schema(const std::string& path) {
  auto file = check(arrow::io::ReadableFile::Open(path), path);
  auto reader = check(parquet::arrow::OpenFile(file, arrow::default_memory_pool()), path);
  std::shared_ptr<arrow::Schema> schema;
  check(reader->GetSchema(&schema), path);
  return schema;
}

// A list, large list or fixed-size list of doubles (its fixed size, or 0), or none.
std::optional<std::int32_t> double_list(const arrow::DataType& t) {
  if (t.id() != arrow::Type::LIST && t.id() != arrow::Type::LARGE_LIST &&
      t.id() != arrow::Type::FIXED_SIZE_LIST)
    return std::nullopt;
  if (static_cast<const arrow::BaseListType&>(t).value_type()->id() != arrow::Type::DOUBLE)
    return std::nullopt;
  if (t.id() == arrow::Type::FIXED_SIZE_LIST)
    return static_cast<const arrow::FixedSizeListType&>(t).list_size();
  return 0;
}

}  // namespace
#endif

void check_history_columns(const history_partition& p, const history_layout& layout,
                           char delimiter) {
  if (p.format == "csv") {
    const auto names = csv_header(p.path, delimiter);
    for (const auto& [array, staged] : layout.columns)
      if (std::find(names.begin(), names.end(), array) == names.end())
        throw input_error(p.path, 0, 0, array, "no such column in partition " + p.dir);
    return;
  }
#ifdef TSFILL_CLI_HAVE_PARQUET
  const auto schema = parquet_schema(p.path);
  for (const auto& [array, staged] : layout.columns) {
    const auto f = schema->GetFieldByName(array);
    if (!f) throw input_error(p.path, 0, 0, array, "no such column in partition " + p.dir);
    const auto list = double_list(*f->type());
    if (!list)
      throw input_error(p.path, 0, 0, array,
                        "named as an array column, but it is " + f->type()->ToString() +
                            " (a list of doubles is needed)");
    if (*list != 0 && static_cast<std::size_t>(*list) != layout.length)
      throw input_error(p.path, 0, 0, array,
                        "a fixed-size list of " + std::to_string(*list) + "; --length is " +
                            std::to_string(layout.length));
  }
#endif
}

std::vector<std::string> inspect_history_partition(const history_partition& p,
                                                   const history_layout& layout, history_keys& keys,
                                                   char delimiter,
                                                   std::vector<std::string>* arrays) {
  std::vector<std::string> names;
  bool text = true;
  if (p.format == "csv") {
    names = csv_header(p.path, delimiter);
    if (arrays) {
      const std::string data = read_file(p.path);
      csv_parser parser(data, delimiter, p.path);
      std::vector<std::string_view> fields;
      parser.next(fields);
      if (parser.next(fields))
        for (std::size_t c = 0; c < fields.size() && c < names.size(); ++c)
          if (fields[c].size() >= 2 && fields[c].front() == '[' && fields[c].back() == ']')
            arrays->push_back(names[c]);
    }
  } else {
#ifdef TSFILL_CLI_HAVE_PARQUET
    const auto schema = parquet_schema(p.path);
    names = schema->field_names();
    if (const auto f = schema->GetFieldByName(layout.key)) text = !integer_type(f->type()->id());
    if (arrays)
      for (const auto& f : schema->fields())
        if (double_list(*f->type())) arrays->push_back(f->name());
#else
    throw cli_error(p.path + ": this tsfill was built without Parquet (Arrow C++)");
#endif
  }
  if (std::find(names.begin(), names.end(), layout.key) == names.end())
    throw input_error(p.path, 0, 0, layout.key,
                      "no such column in partition " + p.dir + " (--key)");
  keys.text = text;
  keys.decided = true;
  return names;
}

void read_history_partition(history_partition& p, const history_layout& layout, history_keys& keys,
                            char delimiter) {
  p.data.keys.clear();
  if (p.format == "csv") return read_csv_partition(p, layout, keys, delimiter);
#ifdef TSFILL_CLI_HAVE_PARQUET
  read_parquet_partition(p, layout, keys);
#else
  throw cli_error(p.path + ": this tsfill was built without Parquet (Arrow C++)");
#endif
}

void write_history_partition(const history_partition& p, const std::string& path,
                             const history_keys& keys, char delimiter) {
  if (p.format == "csv") return write_csv_partition(p, path, keys, delimiter);
#ifdef TSFILL_CLI_HAVE_PARQUET
  write_parquet_partition(p, path, keys);
#else
  throw cli_error(p.path + ": this tsfill was built without Parquet (Arrow C++)");
#endif
}

h::staging read_staging(const std::string& path, history_layout& layout,
                        const std::vector<std::string>& table_columns, history_keys& keys,
                        char delimiter, std::optional<h::month> month) {
  // The staging file as text cells, whatever its format: header, then rows.
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> cells;
  std::vector<std::vector<std::uint8_t>> is_null;
  std::vector<std::uint64_t> lines;
  const bool parquet = path.size() >= 8 && path.compare(path.size() - 8, 8, ".parquet") == 0;
  if (!parquet) {
    const std::string text = read_file(path);
    csv_parser parser(text, delimiter, path);
    std::vector<std::string_view> fields;
    if (!parser.next(fields)) throw cli_error(path + ": no header");
    header.assign(fields.begin(), fields.end());
    while (parser.next(fields)) {
      if (fields.size() != header.size())
        throw input_error(path, parser.data_row(), parser.record_line(), "",
                          "has " + std::to_string(fields.size()) + " fields, the header " +
                              std::to_string(header.size()));
      cells.emplace_back(fields.begin(), fields.end());
      std::vector<std::uint8_t> nulls;
      for (const auto f : fields) nulls.push_back(null_token(f));
      is_null.push_back(std::move(nulls));
      lines.push_back(parser.record_line());
    }
  } else {
#ifdef TSFILL_CLI_HAVE_PARQUET
    const auto t = read_parquet_table(path, nullptr);
    header = t->schema()->field_names();
    const std::int64_t rows = t->num_rows();
    cells.assign(static_cast<std::size_t>(rows), std::vector<std::string>(header.size()));
    is_null.assign(static_cast<std::size_t>(rows), std::vector<std::uint8_t>(header.size(), 0));
    lines.assign(static_cast<std::size_t>(rows), 0);
    for (int c = 0; c < t->num_columns(); ++c) {
      const auto a = only_chunk(t->column(c));
      const auto type = a->type_id();
      for (std::int64_t r = 0; r < rows; ++r) {
        std::string& cell = cells[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
        if (a->IsNull(r)) {
          is_null[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)] = 1;
          continue;
        }
        if (integer_type(type) || text_type(type)) {
          cell = key_text(*a, r);
        } else if (type == arrow::Type::DOUBLE) {
          append_double(cell, static_cast<const arrow::DoubleArray&>(*a).Value(r));
        } else if (type == arrow::Type::FLOAT) {
          append_double(cell,
                        static_cast<double>(static_cast<const arrow::FloatArray&>(*a).Value(r)));
        } else if (type == arrow::Type::DATE32) {
          cell = format_date(static_cast<const arrow::Date32Array&>(*a).Value(r));
        } else {
          cell = check(a->GetScalar(r), path)->ToString();
        }
      }
    }
#else
    throw cli_error(path + ": this tsfill was built without Parquet (Arrow C++)");
#endif
  }
  auto column = [&](const std::string& name, const std::string& flag) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw flag_error(flag, path + " has no column " + shown_cell(name));
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t key = column(layout.key, "--key");
  std::optional<std::size_t> month_col;
  if (!month) month_col = column(layout.month_column, "--month-column");
  if (!layout.columns_given) {
    layout.columns.clear();
    for (const std::string& name : header)
      if (name != layout.key && name != layout.month_column)
        layout.columns.emplace_back(name + "_history", name);
  }
  if (layout.columns.empty()) throw flag_error("--column", path + " has no staged value column");
  if (keys.text) {  // codes in word order, so new rows come in key order (text keys too)
    std::vector<std::string> words;
    for (std::size_t r = 0; r < cells.size(); ++r)
      if (!is_null[r][key]) words.push_back(cells[r][key]);
    std::sort(words.begin(), words.end());
    for (const std::string& w : words) keys.add(w);
  }
  h::staging s;
  std::vector<std::size_t> staged_at;
  for (std::size_t c = 0; c < layout.columns.size(); ++c) {
    const auto& [array, staged] = layout.columns[c];
    if (std::find(table_columns.begin(), table_columns.end(), array) == table_columns.end())
      throw flag_error("--column", "the staged column " + shown_cell(staged) + " goes to " +
                                       shown_cell(array) + ", which the table does not have");
    staged_at.push_back(column(staged, "--column"));
    s.columns.push_back({c, {}, {}});
  }
  for (std::size_t r = 0; r < cells.size(); ++r) {
    const std::uint64_t row = r + 1;
    const std::string& k = cells[r][key];
    if (is_null[r][key]) throw input_error(path, row, lines[r], layout.key, "a null key");
    if (keys.text) {
      s.keys.push_back(keys.add(k));
    } else {
      const auto v = parse_int(k);
      if (!v)
        throw input_error(path, row, lines[r], layout.key,
                          shown_cell(k) + " is not an integer key (the table's keys are integers)");
      s.keys.push_back(*v);
    }
    if (month) {
      s.months.push_back(*month);
    } else {
      const auto m = h::parse_month(cells[r][*month_col]);
      if (!m)
        throw input_error(
            path, row, lines[r], layout.month_column,
            "cannot read " + shown_cell(cells[r][*month_col]) + " as a month YYYY-MM");
      s.months.push_back(*m);
    }
    s.rows.push_back(row);
    for (std::size_t c = 0; c < staged_at.size(); ++c) {
      const std::size_t at = staged_at[c];
      if (is_null[r][at]) {
        s.columns[c].values.push_back(0.0);
        s.columns[c].valid.push_back(0);
        continue;
      }
      const auto v = parse_double(cells[r][at]);
      if (!v)
        throw input_error(path, row, lines[r], header[at],
                          shown_cell(cells[r][at]) + " is not a number");
      s.columns[c].values.push_back(*v);
      s.columns[c].valid.push_back(1);
    }
  }
  return s;
}

}  // namespace tsfill_io
