// The rows a command reads, as typed columns ready to hand to tsfill::table_view: UTC
// nanosecond timestamps, integer or dictionary-coded string keys, and value columns with
// Arrow bitmaps. Loaded from CSV (csv_reader) or Parquet (parquet_io).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/dictionary.hpp>
#include <tsfill/zone_offsets.hpp>

#include "paths.hpp"
#include "specs.hpp"

namespace tsfill_io {

struct loaded_key {
  std::string name;
  bool is_string = false;
  std::vector<std::int64_t> values;  // the integers, or codes into `words`
  std::vector<std::string> words;    // string keys: the dictionary, sorted
  // While loading: the words in first-seen order (`values` hold their ids until
  // finish_string_key turns them into codes).
  tsfill::dictionary_builder builder;

  std::int64_t code_of(std::string_view word) { return builder.id_of(word); }
};

// The ids of recently seen key words, by a cheap hash of their first and last bytes: rows
// repeat a few thousand words, and a hit costs one compare instead of a hash-map lookup
// (a fifth of reading the reference CSV file went to those lookups).
class word_cache {
 public:
  // The word's id in `key`'s dictionary; `added` says whether it is new there.
  std::int64_t id_of(std::string_view word, loaded_key& key, bool& added) {
    const fingerprint f = fingerprint_of(word);
    entry& e = slots_[f.slot()];
    added = false;
    if (e.id >= 0 && e.print == f && (word.size() <= 16 || std::string_view(e.word) == word))
      return e.id;
    const std::size_t known = key.builder.size();
    e.id = key.code_of(word);
    e.print = f;
    if (word.size() > 16) e.word.assign(word);
    added = key.builder.size() != known;
    return e.id;
  }

 private:
  static constexpr int bits = 12;
  // A word's length and two words of its bytes, read in place with fixed-size loads (no
  // call, no byte past the word): for a word of at most 16 bytes they are the word itself,
  // so equal prints are equal words; longer words compare their text too.
  struct fingerprint {
    std::uint64_t head = 0, tail = 0, size = 0;
    bool operator==(const fingerprint&) const = default;
    std::size_t slot() const {
      const std::uint64_t x =
          (head ^ (tail * 0xC2B2AE3D27D4EB4FULL) ^ size) * 0x9E3779B97F4A7C15ULL;
      return static_cast<std::size_t>(x >> (64 - bits));
    }
  };
  static fingerprint fingerprint_of(std::string_view w) {
    const char* p = w.data();
    const std::size_t n = w.size();
    fingerprint f;
    f.size = n;
    auto load8 = [](const char* at) {
      std::uint64_t v;
      std::memcpy(&v, at, 8);
      return v;
    };
    auto load4 = [](const char* at) {
      std::uint32_t v;
      std::memcpy(&v, at, 4);
      return std::uint64_t{v};
    };
    if (n >= 8) {
      f.head = load8(p);
      f.tail = load8(p + n - 8);
    } else if (n >= 4) {
      f.head = load4(p) | load4(p + n - 4) << 32;
    } else if (n > 0) {
      const auto byte = [&](std::size_t i) {
        return std::uint64_t{static_cast<unsigned char>(p[i])};
      };
      f.head = byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
    }
    return f;
  }
  struct entry {
    fingerprint print;
    std::int64_t id = -1;
    std::string word;  // only for words longer than 16 bytes
  };
  std::vector<entry> slots_ = std::vector<entry>(std::size_t{1} << bits);
};

struct loaded_value {
  std::string name;
  tsfill::value_type type = tsfill::value_type::float64;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<std::int64_t> i64;
  std::vector<std::uint8_t> validity;  // Arrow bitmap, (rows + 7) / 8 bytes
  std::size_t nulls = 0;
  // Or borrowed (an Arrow producer's buffers, not copied): the values from `borrowed` on,
  // their bits in `borrowed_validity` from bit `borrowed_bit` (null: every value valid).
  const void* borrowed = nullptr;
  const std::uint8_t* borrowed_validity = nullptr;
  std::size_t borrowed_bit = 0;
  // While loading (CSV): named exactly by --values (a parse failure is then an error, not a
  // sign that the column is not numeric), and whether every value so far was a number.
  bool requested = false;
  bool numeric = true;

  // The storage of type T (the one `type` names is in use).
  template <class T>
  std::vector<T>& data() {
    if constexpr (std::is_same_v<T, double>) return f64;
    if constexpr (std::is_same_v<T, float>) return f32;
    if constexpr (std::is_same_v<T, std::int64_t>) return i64;
  }
  template <class T>
  const std::vector<T>& data() const {
    return const_cast<loaded_value*>(this)->data<T>();
  }

  void append_f64(std::size_t row, double v, bool valid) {
    if (row % 8 == 0) validity.push_back(0);
    if (valid)
      validity[row / 8] = static_cast<std::uint8_t>(validity[row / 8] | (1U << (row % 8)));
    else
      ++nulls;
    f64.push_back(v);
  }
};

// What one input file contributed, for engines that track files (backfill, ingest):
// its kept rows, their time range and the partitions they touch, with row counts.
struct file_summary {
  std::string path;
  std::size_t rows = 0;
  std::int64_t min_ns = INT64_MAX, max_ns = INT64_MIN;  // empty file: min > max
  std::map<std::int64_t, std::size_t> partitions;       // partition -> kept rows
};

struct loaded_table {
  std::vector<std::int64_t> time;  // ns since the epoch, UTC
  std::vector<loaded_key> keys;
  std::vector<loaded_value> values;
  // Where each kept row came from: its file (index into `files`) and 1-based data row.
  std::vector<std::string> files;
  std::vector<std::size_t> file_first_row;  // first kept row of each file
  std::vector<std::uint64_t> source_row;
  std::vector<std::int64_t> sequence;    // read_spec::sequence_column of each kept row
  std::vector<std::string> record_id;    // read_spec::unique_columns of each kept row ("" if null)
  std::size_t rows_repeated = 0;         // dropped as earlier copies of a record (--unique)
  std::size_t rows_read = 0;             // data rows in the files
  std::size_t rows_filtered = 0;         // dropped by --where (or another batch's rows)
  std::vector<std::size_t> rejected_by;  // per read_spec::where rule: the rows it dropped
  std::vector<file_summary> manifest;    // per file, in `files` order
  // Columns of the first file neither time, key nor value column (not selected by
  // read_spec::value_patterns, or not numeric), and the value columns it lacks
  // (read_spec::absent_values_ok).
  std::vector<std::string> columns_left_out, values_absent;
  // Of columns_left_out, those the default value set (no --values, or a glob) would have
  // taken had they been numeric, with why not ("f.csv, row 3 (line 4): 'abc' is not a
  // number"): what the notice of a run names, so no column vanishes without a word.
  std::vector<std::pair<std::string, std::string>> not_numeric;

  std::size_t rows() const { return time.size(); }
  // "silver.csv row 12" for kept row i.
  std::string describe_row(std::size_t i) const;
  tsfill::table_view<> view() const;
};

// Reads the inputs named in `o` (CSV or Parquet by extension or --input-format).
loaded_table load_inputs(const read_spec& o);

// After reading file `path` into `t`: a value column of one type in the first file and
// another in this one (int64 in a Parquet file, numbers in a CSV file) is said, not loaded
// into a column of the wrong length.
void check_value_types(const loaded_table& t, const std::string& path);

// Keeps, of the rows from `first` on, those whose `keep` entry (one per row from `first`) is
// set; every column, the row origins and the file boundaries follow.
void keep_rows(loaded_table& t, std::size_t first, const std::vector<std::uint8_t>& keep);

// Rows [begin, end) as a table of their own (fill --chunk-days: the rows of a chunk of
// partitions), with the files, the key dictionaries (words and ids as they are) and the
// value columns, numeric or not; the counts (rows read, filtered) are not copied. With
// `borrow_values` the value columns point into `t` (loaded_value::borrowed) instead: the
// copy is then good only while `t` is not changed.
loaded_table copy_rows(const loaded_table& t, std::size_t begin, std::size_t end,
                       bool borrow_values = false);
// Drops the first `n` rows (the rows of chunks run), keeping everything else.
void drop_front(loaded_table& t, std::size_t n);

// Frees the rows (times, key codes, values, their origins) once a run has its result, so
// that writing does not hold the input beside the output; the counts, the key dictionaries
// and the column names, which the writers and --stats use, stay.
void release_rows(loaded_table& t);

// --unique: drops every row whose record id appears again later in `t` (counted).
void drop_repeated_records(loaded_table& t);

// The text of a record id (the --unique columns' cells joined), "" when one is null.
std::string record_id_text(const std::vector<std::string_view>& cells, bool any_null);

// Helpers shared by the readers.
// Whether --values selects column `name` (every column when no --values was given), and
// whether a pattern names it exactly (then a non-number in it is an error, not a sign
// that the column is not numeric).
struct value_selection {
  bool selected = false;
  bool requested = false;
};
value_selection select_value(const read_spec& o, const std::string& name);
// select_value for a column of an input's schema: none for the time and key columns, and
// none (the column recorded in t.columns_left_out) when --values leaves it out.
std::optional<value_selection> value_candidate(const read_spec& o, const std::string& name,
                                               loaded_table& t);
bool is_parquet_path(const std::string& path);
std::string input_format_of(const read_spec& o, const std::string& path);
// The readers' rule for key words: a word that is an integer in canonical form ("7", not
// "007" or "+7") reads as that integer.
bool canonical_integer(const std::string& word, std::int64_t& value);
// The day partition of a time (ns since the epoch, UTC): its UTC day, or its local day in
// `zone` (--tz).
std::int64_t day_partition(std::int64_t ns, const tsfill::zone_offsets* zone);
// Sorts the dictionary and remaps codes, or (unless `words_stay_words`) turns an
// all-integer dictionary into an integer key.
void finish_string_key(loaded_key& k, bool words_stay_words = false);

}  // namespace tsfill_io
