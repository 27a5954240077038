#include "table.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <numeric>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "cli_error.hpp"
#include "csv_reader.hpp"
#include "parquet_io.hpp"
#include "paths.hpp"

namespace tsfill_io {

std::string loaded_table::describe_row(std::size_t i) const {
  const auto it = std::upper_bound(file_first_row.begin(), file_first_row.end(), i);
  const std::size_t f = static_cast<std::size_t>(it - file_first_row.begin()) - 1;
  return files[f] + " row " + std::to_string(source_row[i]);
}

tsfill::table_view<> loaded_table::view() const {
  tsfill::table_view<> t;
  t.time = time;
  for (const loaded_key& k : keys) t.keys.emplace_back(k.name, k.values);
  for (const loaded_value& v : values) {
    tsfill::visit(v.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      if (v.borrowed != nullptr) {
        const std::span<const std::uint8_t> bits =
            v.borrowed_validity ? std::span<const std::uint8_t>(v.borrowed_validity,
                                                                (v.borrowed_bit + rows() + 7) / 8)
                                : std::span<const std::uint8_t>();
        t.values.emplace_back(v.name, std::span<const T>(static_cast<const T*>(v.borrowed), rows()),
                              bits, v.borrowed_bit);
        return;
      }
      const std::span<const std::uint8_t> bits =
          v.nulls ? std::span<const std::uint8_t>(v.validity) : std::span<const std::uint8_t>();
      t.values.emplace_back(v.name, v.data<T>(), bits);
    });
  }
  return t;
}

value_selection select_value(const read_spec& o, const std::string& name) {
  value_selection v;
  v.selected = o.value_patterns.empty();
  for (const std::string& p : o.value_patterns) {
    if (has_glob(p) ? glob_match(p, name) : p == name) {
      v.selected = true;
      v.requested = v.requested || !has_glob(p);
    }
  }
  return v;
}

std::optional<value_selection> value_candidate(const read_spec& o, const std::string& name,
                                               loaded_table& t) {
  if (name == o.time_column || std::find(o.keys.begin(), o.keys.end(), name) != o.keys.end())
    return std::nullopt;
  const value_selection sel = select_value(o, name);
  if (!sel.selected) {
    t.columns_left_out.push_back(name);
    return std::nullopt;
  }
  return sel;
}

bool is_parquet_path(const std::string& path) {
  return has_extension(path, ".parquet") || has_extension(path, ".pq");
}

std::string input_format_of(const read_spec& o, const std::string& path) {
  if (!o.input_format.empty()) return o.input_format;
  return is_parquet_path(path) ? "parquet" : "csv";
}

bool canonical_integer(const std::string& word, std::int64_t& value) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  return ec == std::errc{} && end == word.data() + word.size() && !word.empty() &&
         std::to_string(value) == word;  // "007" stays a word
}

std::int64_t day_partition(std::int64_t ns, const tsfill::zone_offsets* zone) {
  constexpr std::int64_t day_ns = 86'400'000'000'000;
  auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); };
  if (zone == nullptr) return floor_div(ns, day_ns);
  const std::int64_t offset = zone->offset_at(floor_div(ns, 1'000'000'000));
  return floor_div(ns + offset * 1'000'000'000, day_ns);
}

void finish_string_key(loaded_key& k, bool words_stay_words) {
  // All words integers? Then it is an integer key (sorted numerically).
  const std::vector<std::string>& seen = k.builder.words();
  std::vector<std::int64_t> as_int(seen.size());
  bool all_int = !seen.empty() && !words_stay_words;
  for (std::size_t w = 0; w < seen.size() && all_int; ++w)
    all_int = canonical_integer(seen[w], as_int[w]);
  if (all_int) {
    for (std::int64_t& v : k.values) v = as_int[static_cast<std::size_t>(v)];
    k.builder = {};
    k.is_string = false;
    return;
  }
  std::vector<std::int32_t> code_of_id;
  tsfill::dictionary dict = std::move(k.builder).finish(code_of_id);
  for (std::int64_t& v : k.values) v = code_of_id[static_cast<std::size_t>(v)];
  k.words = dict.words();
  k.builder = {};
  k.is_string = true;
}

namespace {

// What one file contributed: the kept rows from `first` on.
file_summary summarize(const read_spec& o, const std::string& path,
                       const std::vector<std::int64_t>& time, std::size_t first) {
  file_summary f;
  f.path = path;
  f.rows = time.size() - first;
  for (std::size_t i = first; i < time.size(); ++i) {
    f.min_ns = std::min(f.min_ns, time[i]);
    f.max_ns = std::max(f.max_ns, time[i]);
    ++f.partitions[o.partition_of ? o.partition_of(time[i]) : day_partition(time[i], nullptr)];
  }
  return f;
}

}  // namespace

void keep_rows(loaded_table& t, std::size_t first, const std::vector<std::uint8_t>& keep) {
  const std::size_t n = t.rows();
  auto bit = [](const std::vector<std::uint8_t>& bits, std::size_t i) {
    return ((static_cast<unsigned>(bits[i / 8]) >> (i % 8)) & 1U) != 0;
  };
  std::size_t out = first;
  std::vector<std::size_t> kept_before(n + 1, 0);  // for the file boundaries
  for (std::size_t in = first; in < n; ++in) {
    kept_before[in] = out;
    if (!keep[in - first]) continue;
    t.time[out] = t.time[in];
    t.source_row[out] = t.source_row[in];
    if (!t.sequence.empty()) t.sequence[out] = t.sequence[in];
    if (!t.record_id.empty() && out != in)
      t.record_id[out] = std::move(t.record_id[in]);  // (not onto itself)
    for (loaded_key& k : t.keys) k.values[out] = k.values[in];
    for (loaded_value& v : t.values) {
      tsfill::visit(v.type, [&](auto* tag) {
        auto& data = v.data<std::remove_pointer_t<decltype(tag)>>();
        data[out] = data[in];
      });
      const auto mask = static_cast<std::uint8_t>(1U << (out % 8));
      v.validity[out / 8] = static_cast<std::uint8_t>(
          bit(v.validity, in) ? v.validity[out / 8] | mask : v.validity[out / 8] & ~mask);
    }
    ++out;
  }
  kept_before[n] = out;
  for (std::size_t& f : t.file_first_row)
    if (f >= first) f = kept_before[std::min(f, n)];
  t.time.resize(out);
  t.source_row.resize(out);
  if (!t.sequence.empty()) t.sequence.resize(out);
  if (!t.record_id.empty()) t.record_id.resize(out);
  for (loaded_key& k : t.keys) k.values.resize(out);
  for (loaded_value& v : t.values) {
    tsfill::visit(v.type,
                  [&](auto* tag) { v.data<std::remove_pointer_t<decltype(tag)>>().resize(out); });
    v.validity.resize((out + 7) / 8);
    if (out % 8 != 0)
      v.validity.back() = static_cast<std::uint8_t>(v.validity.back() & ((1U << (out % 8)) - 1));
    v.nulls = 0;
    for (std::size_t i = 0; i < out; ++i) v.nulls += bit(v.validity, i) ? 0U : 1U;
  }
}

namespace {

// Bits [from, from + n) of an Arrow bitmap, as a bitmap of their own (a byte at a time).
std::vector<std::uint8_t> bits_from(const std::vector<std::uint8_t>& bits, std::size_t from,
                                    std::size_t n) {
  std::vector<std::uint8_t> out((n + 7) / 8, 0);
  const std::size_t q = from / 8, r = from % 8;
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned b = q + i < bits.size() ? bits[q + i] : 0U;
    if (r != 0) {
      b >>= r;
      if (q + i + 1 < bits.size()) b |= static_cast<unsigned>(bits[q + i + 1]) << (8 - r);
    }
    out[i] = static_cast<std::uint8_t>(b);
  }
  if (n % 8 != 0) out.back() = static_cast<std::uint8_t>(out.back() & ((1U << (n % 8)) - 1));
  return out;
}

std::size_t nulls_in(const std::vector<std::uint8_t>& bits, std::size_t n) {
  std::size_t valid = 0;
  for (const std::uint8_t b : bits) valid += static_cast<std::size_t>(std::popcount(b));
  return n - valid;  // (bits past n are clear)
}

template <class T>
std::vector<T> copy_range(const std::vector<T>& v, std::size_t begin, std::size_t end) {
  return std::vector<T>(v.begin() + static_cast<std::ptrdiff_t>(begin),
                        v.begin() + static_cast<std::ptrdiff_t>(end));
}

template <class T>
void erase_front(std::vector<T>& v, std::size_t n) {
  v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

loaded_table copy_rows(const loaded_table& t, std::size_t begin, std::size_t end,
                       bool borrow_values) {
  loaded_table out;
  out.files = t.files;
  for (const std::size_t f : t.file_first_row)
    out.file_first_row.push_back(std::clamp(f, begin, end) - begin);
  out.time = copy_range(t.time, begin, end);
  out.source_row = copy_range(t.source_row, begin, end);
  if (!t.sequence.empty()) out.sequence = copy_range(t.sequence, begin, end);
  if (!t.record_id.empty()) out.record_id = copy_range(t.record_id, begin, end);
  for (const loaded_key& k : t.keys)
    out.keys.push_back(
        loaded_key{k.name, k.is_string, copy_range(k.values, begin, end), k.words, k.builder});
  for (const loaded_value& v : t.values) {
    loaded_value c;
    c.name = v.name;
    c.type = v.type;
    c.requested = v.requested;
    c.numeric = v.numeric;
    if (v.numeric && borrow_values) {
      tsfill::visit(v.type, [&](auto* tag) {
        c.borrowed = v.data<std::remove_pointer_t<decltype(tag)>>().data() + begin;
      });
      c.borrowed_validity = v.validity.data();
      c.borrowed_bit = begin;
    } else if (v.numeric) {
      tsfill::visit(v.type, [&](auto* tag) {
        using T = std::remove_pointer_t<decltype(tag)>;
        c.data<T>() = copy_range(v.data<T>(), begin, end);
      });
      c.validity = bits_from(v.validity, begin, end - begin);
      c.nulls = nulls_in(c.validity, end - begin);
    }
    out.values.push_back(std::move(c));
  }
  out.rejected_by.assign(t.rejected_by.size(), 0);
  return out;
}

void drop_front(loaded_table& t, std::size_t n) {
  const std::size_t rows = t.rows();
  for (std::size_t& f : t.file_first_row) f = f > n ? f - n : 0;
  erase_front(t.time, n);
  erase_front(t.source_row, n);
  if (!t.sequence.empty()) erase_front(t.sequence, n);
  if (!t.record_id.empty()) erase_front(t.record_id, n);
  for (loaded_key& k : t.keys) erase_front(k.values, n);
  for (loaded_value& v : t.values) {
    if (!v.numeric) continue;
    tsfill::visit(
        v.type, [&](auto* tag) { erase_front(v.data<std::remove_pointer_t<decltype(tag)>>(), n); });
    v.validity = bits_from(v.validity, n, rows - n);
    v.nulls = nulls_in(v.validity, rows - n);
  }
}

std::string record_id_text(const std::vector<std::string_view>& cells, bool any_null) {
  if (any_null) return {};
  std::string id;
  for (const std::string_view c : cells) {
    id += std::to_string(c.size());  // length-prefixed: no separator can be faked
    id.push_back(':');
    id.append(c);
  }
  return id;
}

void release_rows(loaded_table& t) {
  t.time = {};
  t.source_row = {};
  t.sequence = {};
  t.record_id = {};
  for (loaded_key& k : t.keys) k.values = {};
  for (loaded_value& v : t.values) {
    v.f64 = {};
    v.f32 = {};
    v.i64 = {};
    v.validity = {};
  }
}

void drop_repeated_records(loaded_table& t) {
  if (t.record_id.empty()) return;
  std::unordered_map<std::string_view, std::size_t> last;
  last.reserve(t.rows());
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (!t.record_id[i].empty()) last[t.record_id[i]] = i;
  std::vector<std::uint8_t> keep(t.rows(), 1);
  for (std::size_t i = 0; i < t.rows(); ++i)
    if (!t.record_id[i].empty() && last.at(t.record_id[i]) != i) {
      keep[i] = 0;
      ++t.rows_repeated;
    }
  if (t.rows_repeated != 0) keep_rows(t, 0, keep);
}

void check_value_types(const loaded_table& t, const std::string& path) {
  for (const loaded_value& v : t.values) {
    const std::size_t have = v.type == tsfill::value_type::float64   ? v.f64.size()
                             : v.type == tsfill::value_type::float32 ? v.f32.size()
                                                                     : v.i64.size();
    if (v.numeric && have != t.rows())
      throw cli_error(path + ", column " + shown_cell(v.name) + ": holds other values than " +
                      t.files.front() + ", where it holds " + tsfill::to_string(v.type) +
                      " values (one type per value column across the inputs)");
  }
}

loaded_table load_inputs(const read_spec& o) {
  loaded_table t;
  for (const std::string& path : discover_inputs(o.inputs)) {
    t.files.push_back(path);
    t.file_first_row.push_back(t.rows());
    if (input_format_of(o, path) == "parquet")
      read_parquet(o, path, t);
    else
      read_csv(o, path, t);
    check_value_types(t, path);
    t.manifest.push_back(summarize(o, path, t.time, t.file_first_row.back()));
  }
  for (loaded_key& k : t.keys)
    if (k.is_string) finish_string_key(k);
  for (loaded_value& v : t.values) v.validity.resize((t.rows() + 7) / 8, 0);
  drop_repeated_records(t);  // after every file: the last copy in the input is kept
  return t;
}

}  // namespace tsfill_io
