#include "arrow_stream.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "cell.hpp"
#include "cli_error.hpp"
#include "csv_reader.hpp"
#include "timefmt.hpp"

namespace tsfill_io {
namespace {

// ---- reading: Arrow C arrays as cells -------------------------------------------------

// The physical layouts a format string names (those tsfill reads; the rest are `other`).
enum class layout {
  null,
  boolean,
  i8,
  i16,
  i32,
  i64,
  u8,
  u16,
  u32,
  u64,
  f16,
  f32,
  f64,
  utf8,
  large_utf8,
  utf8_view,
  date32,
  date64,
  timestamp,
  decimal128,  // "d:P,S": 128-bit two's complement, S decimal digits after the point
  other
};

// The layout of format `f`, and for timestamps the nanoseconds per unit.
layout layout_of(std::string_view f, std::int64_t& scale) {
  static const std::pair<std::string_view, layout> plain[] = {
      {"n", layout::null},       {"b", layout::boolean},  {"c", layout::i8},
      {"s", layout::i16},        {"i", layout::i32},      {"l", layout::i64},
      {"C", layout::u8},         {"S", layout::u16},      {"I", layout::u32},
      {"L", layout::u64},        {"e", layout::f16},      {"f", layout::f32},
      {"g", layout::f64},        {"u", layout::utf8},     {"U", layout::large_utf8},
      {"vu", layout::utf8_view}, {"tdD", layout::date32}, {"tdm", layout::date64}};
  for (const auto& [name, l] : plain)
    if (f == name) return l;
  if (f.size() > 2 && f.substr(0, 2) == "d:" &&
      (f.find(',', f.find(',') + 1) == std::string_view::npos || f.substr(f.rfind(',')) == ",128"))
    return layout::decimal128;
  if (f.size() >= 4 && f.substr(0, 2) == "ts" && f[3] == ':') {
    switch (f[2]) {
      case 's':
        scale = 1'000'000'000;
        return layout::timestamp;
      case 'm':
        scale = 1'000'000;
        return layout::timestamp;
      case 'u':
        scale = 1'000;
        return layout::timestamp;
      case 'n':
        scale = 1;
        return layout::timestamp;
      default:
        break;
    }
  }
  return layout::other;
}

bool is_integer(layout l) {
  return l >= layout::i8 && l <= layout::u64;
}
bool is_number(layout l) {
  return is_integer(l) || l == layout::f16 || l == layout::f32 || l == layout::f64 ||
         l == layout::decimal128;
}

// Text, or a dictionary of text: a value column only if its cells read as numbers (as in a
// CSV file: Spark's spark.read.csv leaves a column with an "NA" in it as strings).
bool is_text(const ArrowSchema& s) {
  std::int64_t scale = 1;
  const layout l = layout_of(s.dictionary ? s.dictionary->format : s.format, scale);
  return l == layout::utf8 || l == layout::large_utf8 || l == layout::utf8_view;
}

// The value type a numeric column becomes (integers of every width: int64).
tsfill::value_type value_type_of(layout l) {
  if (l == layout::f64 || l == layout::decimal128) return tsfill::value_type::float64;
  if (l == layout::f32 || l == layout::f16) return tsfill::value_type::float32;
  return tsfill::value_type::int64;
}

// An IEEE half-precision number as a float (exactly: every half is a float).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000U) << 16, exponent = (h >> 10) & 0x1FU,
                      mantissa = h & 0x3FFU;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000U | (mantissa << 13);  // inf, NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: mantissa x 2^-24
    const float v = static_cast<float>(mantissa) * 5.9604644775390625e-8F;
    return sign ? -v : v;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// The Arrow type as users know it ("utf8", "timestamp[us, tz=UTC]"), for messages.
std::string type_name(const ArrowSchema& s) {
  if (s.dictionary != nullptr) return "dictionary<" + type_name(*s.dictionary) + ">";
  const std::string_view f = s.format;
  static const std::pair<std::string_view, const char*> names[] = {
      {"n", "null"},   {"b", "bool"},         {"c", "int8"},       {"s", "int16"},
      {"i", "int32"},  {"l", "int64"},        {"C", "uint8"},      {"S", "uint16"},
      {"I", "uint32"}, {"L", "uint64"},       {"e", "float16"},    {"f", "float"},
      {"g", "double"}, {"u", "utf8"},         {"U", "large_utf8"}, {"vu", "string_view"},
      {"z", "binary"}, {"Z", "large_binary"}, {"tdD", "date32"},   {"tdm", "date64"}};
  for (const auto& [format, name] : names)
    if (f == format) return name;
  if (f.size() > 2 && f.substr(0, 2) == "d:") return "decimal(" + std::string(f.substr(2)) + ")";
  static const std::pair<std::string_view, const char*> nested[] = {{"+l", "list"},
                                                                    {"+L", "large_list"},
                                                                    {"+vl", "list_view"},
                                                                    {"+vL", "large_list_view"},
                                                                    {"+w:", "fixed_size_list"},
                                                                    {"+s", "struct"},
                                                                    {"+m", "map"},
                                                                    {"+ud:", "union"},
                                                                    {"+us:", "union"},
                                                                    {"w:", "fixed_size_binary"},
                                                                    {"vz", "binary_view"}};
  for (const auto& [prefix, name] : nested)
    if (f.substr(0, prefix.size()) == prefix && (prefix.back() == ':' || f.size() == prefix.size()))
      return std::string(name);
  if (f.size() >= 4 && f.substr(0, 2) == "ts" && f[3] == ':')
    return "timestamp[" + std::string(f.substr(2, 1)) + "s" +
           (f.size() > 4 ? ", tz=" + std::string(f.substr(4)) : "") + "]";
  return "Arrow format '" + std::string(f) + "'";
}

template <class T>
T load(const void* buffer, std::size_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(buffer) + i * sizeof(T), sizeof(T));
  return v;
}

// The integer at index i of a buffer of integer layout l (uint64 past int64: `fits` false).
std::int64_t integer_at(layout l, const void* b, std::size_t i, bool& fits) {
  fits = true;
  switch (l) {
    case layout::i8:
      return load<std::int8_t>(b, i);
    case layout::i16:
      return load<std::int16_t>(b, i);
    case layout::i32:
      return load<std::int32_t>(b, i);
    case layout::u8:
      return load<std::uint8_t>(b, i);
    case layout::u16:
      return load<std::uint16_t>(b, i);
    case layout::u32:
      return load<std::uint32_t>(b, i);
    case layout::u64: {
      const auto v = load<std::uint64_t>(b, i);
      fits = v <= static_cast<std::uint64_t>(INT64_MAX);
      return static_cast<std::int64_t>(v);
    }
    default:
      return load<std::int64_t>(b, i);
  }
}

// One column of one batch, read cell by cell (the offsets of the column and of the batch
// applied; a dictionary column's words decoded once).
class column_cells {
 public:
  column_cells(const ArrowSchema& s, const ArrowArray& a, std::int64_t batch_offset)
      : a_(a), offset_(static_cast<std::size_t>(a.offset + batch_offset)) {
    l_ = layout_of(s.format, scale_);
    if (l_ == layout::decimal128) {  // 10^S, S from "d:P,S"
      const std::string_view f = s.format;
      const std::size_t comma = f.find(',');
      const int digits = std::atoi(std::string(f.substr(comma + 1)).c_str());
      decimal_divisor_ = std::pow(10.0, digits);
    }
    validity_ = a.n_buffers > 0 && l_ != layout::null
                    ? static_cast<const std::uint8_t*>(a.buffers[0])
                    : nullptr;
    if (s.dictionary != nullptr && a.dictionary != nullptr && is_integer(l_)) {
      dictionary_ = true;
      const column_cells words(*s.dictionary, *a.dictionary, 0);
      for (std::size_t w = 0; w < static_cast<std::size_t>(a.dictionary->length); ++w)
        words_.push_back(words.at(w));
    } else if (s.dictionary != nullptr) {
      l_ = layout::other;
    }
  }

  layout kind() const { return dictionary_ ? layout::other : l_; }
  std::size_t offset() const { return offset_; }

  cell at(std::size_t r) const {
    cell c;
    const std::size_t i = offset_ + r;
    if (l_ == layout::null || (validity_ != nullptr && !tsfill::bit_is_set(validity_, i))) {
      c.null = true;
      return c;
    }
    const void* values = a_.n_buffers > 1 ? a_.buffers[1] : nullptr;
    bool fits = true;
    if (dictionary_) {
      const std::int64_t w = integer_at(l_, values, i, fits);
      if (w >= 0 && static_cast<std::size_t>(w) < words_.size())
        c = words_[static_cast<std::size_t>(w)];
      return c;  // (an index outside the dictionary: `other`)
    }
    switch (l_) {
      case layout::boolean:
        c.k = cell::kind::integer;
        c.i = tsfill::bit_is_set(static_cast<const std::uint8_t*>(values), i) ? 1 : 0;
        break;
      case layout::f16:
        c.k = cell::kind::floating;
        c.d = static_cast<double>(half_to_float(load<std::uint16_t>(values, i)));
        break;
      case layout::f32:
        c.k = cell::kind::floating;
        c.d = static_cast<double>(load<float>(values, i));
        break;
      case layout::decimal128: {  // (exact up to 2^53 units; beyond, within an ulp or two)
        const auto low = load<std::uint64_t>(values, 2 * i);
        const auto high = load<std::int64_t>(values, 2 * i + 1);
        const bool in_int64 = (high == 0 && low <= static_cast<std::uint64_t>(INT64_MAX)) ||
                              (high == -1 && low > static_cast<std::uint64_t>(INT64_MAX));
        const double units = in_int64 ? static_cast<double>(static_cast<std::int64_t>(low))
                                      : static_cast<double>(high) * 18446744073709551616.0 +
                                            static_cast<double>(low);
        c.k = cell::kind::floating;
        c.d = units / decimal_divisor_;
        break;
      }
      case layout::f64:
        c.k = cell::kind::floating;
        c.d = load<double>(values, i);
        break;
      case layout::utf8: {
        const auto begin = load<std::int32_t>(values, i), end = load<std::int32_t>(values, i + 1);
        c.k = cell::kind::text;
        c.s = std::string_view(static_cast<const char*>(a_.buffers[2]) + begin,
                               static_cast<std::size_t>(end - begin));
        break;
      }
      case layout::large_utf8: {
        const auto begin = load<std::int64_t>(values, i), end = load<std::int64_t>(values, i + 1);
        c.k = cell::kind::text;
        c.s = std::string_view(static_cast<const char*>(a_.buffers[2]) + begin,
                               static_cast<std::size_t>(end - begin));
        break;
      }
      case layout::utf8_view: {
        // 16 bytes per view: length, then the bytes inline (up to 12) or a 4-byte prefix,
        // the data buffer's index (after the views) and the offset in it.
        const char* view = static_cast<const char*>(values) + 16 * i;
        const auto size = load<std::int32_t>(view, 0);
        c.k = cell::kind::text;
        if (size <= 12) {
          c.s = std::string_view(view + 4, static_cast<std::size_t>(size));
        } else {
          const auto buffer = load<std::int32_t>(view + 8, 0);
          const auto at = load<std::int32_t>(view + 12, 0);
          c.s = std::string_view(
              static_cast<const char*>(a_.buffers[2 + static_cast<std::size_t>(buffer)]) + at,
              static_cast<std::size_t>(size));
        }
        break;
      }
      case layout::date32:
        instant_of(load<std::int32_t>(values, i), 86'400'000'000'000, c);
        break;
      case layout::date64:
        instant_of(load<std::int64_t>(values, i), 1'000'000, c);
        break;
      case layout::timestamp:
        instant_of(load<std::int64_t>(values, i), scale_, c);
        break;
      case layout::null:
      case layout::other:
        break;
      default:  // integers
        c.i = integer_at(l_, values, i, fits);
        c.k = fits ? cell::kind::integer : cell::kind::other;
        break;
    }
    return c;
  }

 private:
  const ArrowArray& a_;
  std::size_t offset_;
  layout l_ = layout::other;
  std::int64_t scale_ = 1;
  double decimal_divisor_ = 1;
  const std::uint8_t* validity_ = nullptr;
  bool dictionary_ = false;
  std::vector<cell> words_;
};

// The width in bytes of a value type's elements, and whether a layout is exactly it (then a
// column can be borrowed as it is).
bool is_exactly(layout l, tsfill::value_type t) {
  return (t == tsfill::value_type::float64 && l == layout::f64) ||
         (t == tsfill::value_type::float32 && l == layout::f32) ||
         (t == tsfill::value_type::int64 && l == layout::i64);
}

}  // namespace

loaded_table load_arrow(const read_spec& o, const arrow_input& in) {
  const ArrowSchema& schema = *in.schema.get();
  if (std::string_view(schema.format) != "+s")
    throw cli_error(in.name + ": not a table of columns (" + type_name(schema) + ")");
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < schema.n_children; ++c) {
    names.emplace_back(schema.children[c]->name ? schema.children[c]->name : "");
    if (std::count(names.begin(), names.end() - 1, names.back()) > 0)
      throw cli_error(in.name + ": the schema names the column " + shown_cell(names.back()) +
                      " twice");
  }
  auto index_of = [&](const std::string& name, const char* flag) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end())
      throw cli_error(std::string(flag) + ": " + in.name + " has no column '" + name + "'");
    return static_cast<std::size_t>(it - names.begin());
  };

  loaded_table t;
  t.files = {in.name};
  t.file_first_row = {0};
  t.manifest.push_back(file_summary{in.name, 0, INT64_MAX, INT64_MIN, {}});
  const std::size_t time_index = index_of(o.time_column, "--time");
  std::vector<std::size_t> key_index, where_index, value_index;
  for (const std::string& k : o.keys) {
    key_index.push_back(index_of(k, "--keys"));
    t.keys.push_back(loaded_key{k, true, {}, {}, {}});
  }
  for (const where_rule& w : o.where) where_index.push_back(index_of(w.column, "--where"));

  // Values: every numeric non-key, non-time column, or those --values selects.
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::string& name = names[c];
    const std::optional<value_selection> candidate = value_candidate(o, name, t);
    if (!candidate) continue;
    const value_selection sel = *candidate;
    std::int64_t scale = 1;
    const ArrowSchema& s = *schema.children[c];
    const layout l = s.dictionary != nullptr ? layout::other : layout_of(s.format, scale);
    if (!is_number(l) && !is_text(s)) {
      if (sel.requested)
        throw flag_error("--values", "column '" + name + "' of " + in.name + " has type " +
                                         type_name(s) + ", not a number");
      t.columns_left_out.push_back(name);
      // (the warning names it, as the Parquet reader's note does)
      t.not_numeric.emplace_back(name, in.name + ": type " + type_name(s));
      continue;
    }
    loaded_value v;
    v.name = name;
    v.type = is_text(s) ? tsfill::value_type::float64 : value_type_of(l);
    v.numeric = !is_text(s);  // (text: numbers only if every cell reads as one)
    v.requested = sel.requested;
    t.values.push_back(std::move(v));
    value_index.push_back(c);
  }
  for (const std::string& p : o.value_patterns)
    if (!has_glob(p) && std::find(names.begin(), names.end(), p) == names.end())
      throw cli_error("--values: " + in.name + " has no column '" + p + "'");

  // The batches, in order: rows kept by --where and keep_time, their times and keys.
  t.rejected_by.resize(o.where.size(), 0);
  std::vector<std::unordered_map<std::int64_t, std::int64_t>> integer_codes(o.keys.size());
  std::vector<word_cache> words(o.keys.size());
  std::vector<std::uint8_t> any_text(o.keys.size(), 0);
  std::vector<std::vector<std::size_t>> kept_of_batch;  // input rows kept, per batch
  std::size_t batch_base = 0;                           // input rows before the batch
  for (const tsfill::arrow_c::owned_array& owned : in.batches) {
    const ArrowArray& batch = *owned.get();
    if (batch.n_children != schema.n_children)
      throw cli_error(in.name + ": a batch has " + std::to_string(batch.n_children) +
                      " columns where the schema has " + std::to_string(schema.n_children));
    auto column = [&](std::size_t c) {
      return column_cells(*schema.children[c], *batch.children[c], batch.offset);
    };
    const auto n = static_cast<std::size_t>(batch.length);
    std::vector<std::uint8_t> keep(n, 1);
    for (std::size_t w = 0; w < o.where.size(); ++w) {
      const column_cells cells = column(where_index[w]);
      for (std::size_t r = 0; r < n; ++r) {
        if (!keep[r]) continue;
        const cell c = cells.at(r);
        if (!passes(o.where[w], c.null ? std::string() : text_of(c), c.null)) {
          keep[r] = 0;
          ++t.rejected_by[w];
        }
      }
    }
    std::vector<std::size_t>& kept = kept_of_batch.emplace_back();
    {
      const column_cells times = column(time_index);
      std::string why;
      for (std::size_t r = 0; r < n; ++r) {
        if (!keep[r]) continue;
        const std::optional<std::int64_t> ns = time_of(times.at(r), o.time_unit, why);
        if (!ns)
          throw input_error(in.name, batch_base + r + 1, 0, o.time_column,
                            "cannot read the time: " + why);
        if (o.keep_time && !o.keep_time(*ns)) continue;
        kept.push_back(r);
        t.time.push_back(*ns);
        t.source_row.push_back(batch_base + r + 1);
      }
    }
    for (std::size_t j = 0; j < o.keys.size(); ++j) {
      const column_cells cells = column(key_index[j]);
      loaded_key& key = t.keys[j];
      for (const std::size_t r : kept) {
        const cell c = cells.at(r);
        if (c.null) throw input_error(in.name, batch_base + r + 1, 0, key.name, "a key is null");
        if (c.k == cell::kind::other)
          throw input_error(in.name, batch_base + r + 1, 0, key.name, "this type cannot be a key");
        std::int64_t code = 0;
        if (c.k == cell::kind::text) {
          bool added = false;
          code = words[j].id_of(c.s, key, added);
          any_text[j] = 1;
        } else if (c.k == cell::kind::integer) {
          const auto [at, added] = integer_codes[j].try_emplace(c.i, 0);
          if (added) at->second = key.code_of(std::to_string(c.i));
          code = at->second;
        } else {
          code = key.code_of(text_of(c));
          any_text[j] = 1;
        }
        key.values.push_back(code);
      }
    }
    batch_base += n;
  }
  t.rows_read = batch_base;
  t.rows_filtered = batch_base - t.rows();
  t.manifest.front().rows = t.rows();
  for (std::size_t j = 0; j < t.keys.size(); ++j)
    finish_string_key(t.keys[j], /*words_stay_words=*/any_text[j] != 0);  // (utf8 stays utf8)

  // Values: borrowed when one batch holds them all, every row kept and the type exact;
  // otherwise gathered row by row.
  const std::size_t rows = t.rows();
  for (std::size_t v = 0; v < t.values.size(); ++v) {
    loaded_value& value = t.values[v];
    const ArrowSchema& s = *schema.children[value_index[v]];
    std::int64_t scale = 1;
    const layout l = layout_of(s.format, scale);
    if (in.batches.size() == 1 && rows == t.rows_read && is_exactly(l, value.type)) {
      const ArrowArray& batch = *in.batches.front().get();
      const ArrowArray& a = *batch.children[value_index[v]];
      const auto offset = static_cast<std::size_t>(a.offset + batch.offset);
      const std::size_t width = value.type == tsfill::value_type::float32 ? 4 : 8;
      value.borrowed = static_cast<const char*>(a.buffers[1]) + offset * width;
      value.borrowed_validity =
          a.null_count != 0 ? static_cast<const std::uint8_t*>(a.buffers[0]) : nullptr;
      value.borrowed_bit = offset;
      value.nulls = a.null_count > 0 ? static_cast<std::size_t>(a.null_count) : 0;
      continue;
    }
    value.validity.assign((rows + 7) / 8, 0);
    if (!value.numeric) {  // text: numbers and null tokens, or not a value column
      value.f64.resize(rows);
      std::size_t row = 0, base = 0;
      for (std::size_t b = 0; b < in.batches.size() && !value.f64.empty(); ++b) {
        const ArrowArray& batch = *in.batches[b].get();
        const column_cells cells(s, *batch.children[value_index[v]], batch.offset);
        for (const std::size_t r : kept_of_batch[b]) {
          const cell c = cells.at(r);
          double d = 0;
          if (c.null || is_null_token(o, c.s)) {
            value.f64[row] = std::nan("");
            ++value.nulls;
          } else if (parse_number(c.s, d)) {
            value.f64[row] = d;
            value.validity[row / 8] =
                static_cast<std::uint8_t>(value.validity[row / 8] | (1U << (row % 8)));
          } else if (value.requested) {
            throw input_error(in.name, base + r + 1, 0, value.name,
                              "cannot read " + shown_cell(c.s) +
                                  " as a number (null values are: " + null_tokens(o) + ")");
          } else {
            t.not_numeric.emplace_back(value.name, in.name + ", row " +
                                                       std::to_string(base + r + 1) + ": " +
                                                       shown_cell(c.s) + " is not a number");
            value.f64 = {};  // (left out below)
            break;
          }
          ++row;
        }
        base += static_cast<std::size_t>(batch.length);
      }
      value.numeric = !value.f64.empty() || rows == 0;
      continue;
    }
    tsfill::visit(value.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      std::vector<T>& data = value.template data<T>();
      data.resize(rows);
      std::size_t row = 0, base = 0;
      for (std::size_t b = 0; b < in.batches.size(); ++b) {
        const ArrowArray& batch = *in.batches[b].get();
        const column_cells cells(s, *batch.children[value_index[v]], batch.offset);
        for (const std::size_t r : kept_of_batch[b]) {
          const cell c = cells.at(r);
          if (c.null) {
            data[row] = tsfill::null_placeholder<T>();
            ++value.nulls;
          } else if (c.k == cell::kind::other) {
            throw input_error(in.name, base + r + 1, 0, value.name,
                              "the value does not fit in int64");
          } else {
            value.validity[row / 8] =
                static_cast<std::uint8_t>(value.validity[row / 8] | (1U << (row % 8)));
            if constexpr (std::is_same_v<T, std::int64_t>)
              data[row] = c.i;
            else
              data[row] =
                  static_cast<T>(c.k == cell::kind::integer ? static_cast<double>(c.i) : c.d);
          }
          ++row;
        }
        base += static_cast<std::size_t>(batch.length);
      }
    });
  }
  // Text columns that are not numbers are left out, as a CSV file's; then every glob of
  // --values must still match a column.
  for (std::size_t v = t.values.size(); v-- > 0;)
    if (!t.values[v].numeric) {
      t.columns_left_out.push_back(t.values[v].name);
      t.values.erase(t.values.begin() + static_cast<std::ptrdiff_t>(v));
    }
  for (const std::string& p : o.value_patterns)
    if (has_glob(p) && std::none_of(t.values.begin(), t.values.end(),
                                    [&](const loaded_value& v) { return glob_match(p, v.name); }))
      throw flag_error("--values", "pattern '" + p + "' matches no numeric column of " + in.name);
  return t;
}

// ---- writing: the result as Arrow C arrays --------------------------------------------

namespace {

// One exported column: its format, name, buffers and (the status words of COL_how) a
// dictionary column.
struct column_out {
  std::string format, name;
  bool nullable = false;
  std::int64_t null_count = 0;  // -1: unknown (a bitmap)
  std::vector<const void*> buffers;
  std::shared_ptr<column_out> dictionary;
  std::int64_t length = 0;  // (the dictionary's; columns have the result's rows)
};

}  // namespace

struct arrow_result::data {
  tsfill::result r;
  std::vector<std::int64_t> slot_times;               // in the input's unit (when not ns)
  std::vector<std::vector<std::uint8_t>> key_narrow;  // integer keys of the input's width
  std::vector<std::int32_t> partition;                // date32 per row
  // Keys per row: integers, or utf8 / large utf8 offsets and characters.
  std::vector<std::vector<std::int64_t>> key_ints, key_offsets64;
  std::vector<std::vector<std::int32_t>> key_offsets32;
  std::vector<std::string> key_chars;
  // COL_how's dictionary (the status words) and COL_from's times and bitmaps.
  std::vector<std::int32_t> status_offsets;
  std::string status_chars;
  std::vector<std::vector<std::int64_t>> from_times;
  std::vector<std::vector<std::uint8_t>> from_validity;
  std::vector<column_out> columns;
};

namespace {

using result_data = arrow_result::data;

// The private data of every exported struct: it keeps the shared data alive, and the
// buffers and children a consumer reads.
struct array_holder {
  std::shared_ptr<const result_data> keep;
  std::vector<const void*> buffers;
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> child_pointers;
  ArrowArray dictionary{};
};

void release_array(ArrowArray* a) {
  auto* h = static_cast<array_holder*>(a->private_data);
  for (ArrowArray& c : h->children)
    if (c.release != nullptr) c.release(&c);
  if (h->dictionary.release != nullptr) h->dictionary.release(&h->dictionary);
  delete h;
  a->release = nullptr;
}

void export_column(const std::shared_ptr<const result_data>& d, const column_out& c,
                   std::int64_t rows, ArrowArray& out) {
  auto* h = new array_holder{d, c.buffers, {}, {}, {}};
  out = ArrowArray{};
  out.length = c.length != 0 ? c.length : rows;
  out.null_count = c.null_count;
  out.n_buffers = static_cast<std::int64_t>(h->buffers.size());
  out.buffers = h->buffers.data();
  if (c.dictionary) {
    export_column(d, *c.dictionary, c.dictionary->length, h->dictionary);
    out.dictionary = &h->dictionary;
  }
  out.release = release_array;
  out.private_data = h;
}

struct schema_holder {
  std::string format, name;
  std::vector<ArrowSchema> children;
  std::vector<ArrowSchema*> child_pointers;
  ArrowSchema dictionary{};
};

void release_schema(ArrowSchema* s) {
  auto* h = static_cast<schema_holder*>(s->private_data);
  for (ArrowSchema& c : h->children)
    if (c.release != nullptr) c.release(&c);
  if (h->dictionary.release != nullptr) h->dictionary.release(&h->dictionary);
  delete h;
  s->release = nullptr;
}

void export_field(const std::string& format, const std::string& name, bool nullable,
                  const column_out* dictionary, const std::vector<column_out>* children,
                  ArrowSchema& out) {
  auto* h = new schema_holder{format, name, {}, {}, {}};
  out = ArrowSchema{};
  out.format = h->format.c_str();
  out.name = h->name.c_str();
  out.flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  if (children != nullptr) {
    h->children.resize(children->size());
    for (std::size_t i = 0; i < children->size(); ++i) {
      const column_out& c = (*children)[i];
      export_field(c.format, c.name, c.nullable, c.dictionary.get(), nullptr, h->children[i]);
      h->child_pointers.push_back(&h->children[i]);
    }
    out.n_children = static_cast<std::int64_t>(children->size());
    out.children = h->child_pointers.data();
  }
  if (dictionary != nullptr) {
    export_field(dictionary->format, "", false, nullptr, nullptr, h->dictionary);
    out.dictionary = &h->dictionary;
  }
  out.release = release_schema;
  out.private_data = h;
}

void export_batch(const std::shared_ptr<const result_data>& d, ArrowArray& out) {
  const auto rows = static_cast<std::int64_t>(d->r.rows());
  auto* h = new array_holder{d, {nullptr}, {}, {}, {}};
  h->children.resize(d->columns.size());
  for (std::size_t i = 0; i < d->columns.size(); ++i) {
    export_column(d, d->columns[i], rows, h->children[i]);
    h->child_pointers.push_back(&h->children[i]);
  }
  out = ArrowArray{};
  out.length = rows;
  out.n_buffers = 1;
  out.buffers = h->buffers.data();
  out.n_children = static_cast<std::int64_t>(h->children.size());
  out.children = h->child_pointers.data();
  out.release = release_array;
  out.private_data = h;
}

// A stream of the one batch.
struct stream_holder {
  std::shared_ptr<const result_data> data;
  bool done = false;
};

int stream_schema(ArrowArrayStream* s, ArrowSchema* out) {
  const auto* h = static_cast<stream_holder*>(s->private_data);
  export_field("+s", "", false, nullptr, &h->data->columns, *out);
  return 0;
}

int stream_next(ArrowArrayStream* s, ArrowArray* out) {
  auto* h = static_cast<stream_holder*>(s->private_data);
  if (h->done) {
    *out = ArrowArray{};  // (release null: the end)
    return 0;
  }
  export_batch(h->data, *out);
  h->done = true;
  return 0;
}

const char* stream_error(ArrowArrayStream*) {
  return nullptr;
}

void release_stream(ArrowArrayStream* s) {
  delete static_cast<stream_holder*>(s->private_data);
  s->release = nullptr;
}

}  // namespace

arrow_types types_of(const read_spec& o, const arrow_input& in) {
  arrow_types types;
  const ArrowSchema& schema = *in.schema.get();
  auto field = [&](const std::string& name) -> const ArrowSchema* {
    for (std::int64_t c = 0; c < schema.n_children; ++c)
      if (schema.children[c]->name != nullptr && name == schema.children[c]->name)
        return schema.children[c];
    return nullptr;
  };
  if (const ArrowSchema* time = field(o.time_column)) {
    std::int64_t scale = 1;
    const std::string_view f = time->format;
    if (time->dictionary == nullptr && layout_of(f, scale) == layout::timestamp) {
      types.time_scale = scale;
      types.time_unit = f[2];
      types.time_zone = std::string(f.substr(4));
    }
  }
  for (const std::string& k : o.keys) {
    const ArrowSchema* key = field(k);
    types.key_formats.emplace_back(key != nullptr && key->dictionary == nullptr ? key->format : "");
  }
  return types;
}

arrow_result::arrow_result(const write_spec& o, const loaded_table& t, tsfill::result r,
                           const arrow_types& types) {
  auto d = std::make_shared<data>();
  d->r = std::move(r);
  const tsfill::result& res = d->r;
  const output_layout names = layout_of(o, t, res, o.partition_by_day);
  const std::size_t rows = res.rows();
  std::size_t name = 0;
  auto add = [&](std::string format, bool nullable, std::vector<const void*> buffers,
                 std::int64_t null_count) -> column_out& {
    column_out& c = d->columns.emplace_back();
    c.format = std::move(format);
    c.name = names.names[name++];
    c.nullable = nullable;
    c.buffers = std::move(buffers);
    c.null_count = null_count;
    return c;
  };
  // (Columns point into `d`'s vectors: each is filled before the next is made.)
  d->key_ints.resize(t.keys.size());
  d->key_narrow.resize(t.keys.size());
  d->key_offsets32.resize(t.keys.size());
  d->key_offsets64.resize(t.keys.size());
  d->key_chars.resize(t.keys.size());
  d->from_times.resize(res.values().size());
  d->from_validity.resize(res.values().size());
  if (o.partition_by_day) {
    d->partition.resize(rows);
    for (const tsfill::segment& s : res.segments())
      std::fill_n(d->partition.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size,
                  static_cast<std::int32_t>(s.partition));
    add("tdD", false, {nullptr, d->partition.data()}, 0);
  }
  for (std::size_t j = 0; j < t.keys.size(); ++j) {
    if (!t.keys[j].is_string) {
      d->key_ints[j] = res.key_column(j);
      // The input's width (its values came from it, so they fit).
      const std::string format = j < types.key_formats.size() ? types.key_formats[j] : "";
      std::int64_t scale = 1;
      const layout l = layout_of(format, scale);
      const std::size_t width = l == layout::i8 || l == layout::u8     ? 1
                                : l == layout::i16 || l == layout::u16 ? 2
                                : l == layout::i32 || l == layout::u32 ? 4
                                                                       : 8;
      if (!is_integer(l) || width == 8) {
        add(l == layout::u64 ? "L" : "l", false, {nullptr, d->key_ints[j].data()}, 0);
        continue;
      }
      std::vector<std::uint8_t>& narrow = d->key_narrow[j];
      narrow.resize(rows * width);
      for (std::size_t i = 0; i < rows; ++i)  // (little-endian: the low bytes)
        std::memcpy(narrow.data() + i * width, &d->key_ints[j][i], width);
      d->key_ints[j] = {};
      add(format, false, {nullptr, narrow.data()}, 0);
      continue;
    }
    std::string& chars = d->key_chars[j];
    std::vector<std::int64_t>& offsets = d->key_offsets64[j];
    offsets.reserve(rows + 1);
    offsets.push_back(0);
    for (const tsfill::segment& s : res.segments()) {
      const std::string& w = t.keys[j].words[static_cast<std::size_t>(res.distinct_keys(j)[s.key])];
      for (std::size_t i = 0; i < s.size; ++i) {
        chars += w;
        offsets.push_back(static_cast<std::int64_t>(chars.size()));
      }
    }
    if (chars.size() <= static_cast<std::size_t>(INT32_MAX)) {
      d->key_offsets32[j].assign(offsets.begin(), offsets.end());
      offsets = {};
      add("u", false, {nullptr, d->key_offsets32[j].data(), chars.data()}, 0);
    } else {
      add("U", false, {nullptr, offsets.data(), chars.data()}, 0);
    }
  }
  // Slot times in the input's unit when each is a whole number of it, else nanoseconds.
  const std::int64_t scale = types.time_scale;
  const bool in_unit = scale > 1 && std::all_of(res.slot_times().begin(), res.slot_times().end(),
                                                [&](std::int64_t ns) { return ns % scale == 0; });
  const std::string time_format = std::string("ts") + (in_unit ? types.time_unit : 'n') + ":" +
                                  (o.zone                    ? o.zone->name()
                                   : types.time_zone.empty() ? std::string("UTC")
                                                             : types.time_zone);
  if (in_unit) {
    d->slot_times.resize(rows);
    for (std::size_t i = 0; i < rows; ++i) d->slot_times[i] = res.slot_times()[i] / scale;
    add(time_format, false, {nullptr, d->slot_times.data()}, 0);
  } else {
    add(time_format, false, {nullptr, res.slot_times().data()}, 0);
  }
  for (const bool filled : {false, true})
    for (const tsfill::result_column& c : res.values()) {
      if (!filled && !c.has_original()) continue;  // (original=False)
      const char* format = c.type() == tsfill::value_type::float64   ? "g"
                           : c.type() == tsfill::value_type::float32 ? "f"
                                                                     : "l";
      tsfill::visit(c.type(), [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        add(format, true,
            {(filled ? c.filled_validity() : c.original_validity()).data(),
             (filled ? c.filled<T>() : c.original<T>()).data()},
            -1);
      });
    }
  if (o.provenance.how) {
    d->status_offsets.push_back(0);
    for (int s = 0; s < tsfill::cell_status_count; ++s) {
      d->status_chars += tsfill::to_string(static_cast<tsfill::cell_status>(s));
      d->status_offsets.push_back(static_cast<std::int32_t>(d->status_chars.size()));
    }
    auto words = std::make_shared<column_out>();
    words->format = "u";
    words->buffers = {nullptr, d->status_offsets.data(), d->status_chars.data()};
    words->length = tsfill::cell_status_count;
    for (std::size_t v = 0; v < res.values().size(); ++v) {
      const tsfill::result_column& c = res.values()[v];
      add("c", false, {nullptr, c.status().data()}, 0).dictionary = words;
      if (!o.provenance.from) continue;
      std::vector<std::int64_t>& times = d->from_times[v];
      std::vector<std::uint8_t>& valid = d->from_validity[v];
      times.assign(c.source_times().begin(), c.source_times().end());
      times.resize(rows, tsfill::no_source_time);
      valid.assign((rows + 7) / 8, 0);
      for (std::size_t i = 0; i < rows; ++i)
        if (times[i] != tsfill::no_source_time)
          valid[i / 8] = static_cast<std::uint8_t>(valid[i / 8] | (1U << (i % 8)));
        else
          times[i] = 0;
      if (in_unit)  // (observation times floor to slots: whole units too)
        for (std::int64_t& x : times) x = x / scale - (x % scale < 0 ? 1 : 0);
      add(time_format, true, {valid.data(), times.data()}, -1);
    }
  }
  data_ = std::move(d);
}

std::size_t arrow_result::rows() const {
  return data_->r.rows();
}

void arrow_result::export_schema(ArrowSchema& out) const {
  export_field("+s", "", false, nullptr, &data_->columns, out);
}

void arrow_result::export_stream(ArrowArrayStream& out) const {
  out = ArrowArrayStream{};
  out.get_schema = stream_schema;
  out.get_next = stream_next;
  out.get_last_error = stream_error;
  out.release = release_stream;
  out.private_data = new stream_holder{data_, false};
}

}  // namespace tsfill_io
