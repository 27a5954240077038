#include "csv_reader.hpp"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <fcntl.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_error.hpp"
#include "progress.hpp"
#include "timefmt.hpp"

namespace tsfill_io {

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw cli_error(path + ": cannot open: " + std::strerror(errno));
  std::string data;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw cli_error(path + ": read error");
  return data;
}

csv_parser::csv_parser(std::string_view data, char delimiter, std::string file)
    : data_(data), delim_(delimiter), file_(std::move(file)) {
  if (data_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
}

void csv_parser::restrict_to(std::size_t begin, std::size_t limit) {
  pos_ = begin;
  limit_ = limit;
  line_ = 1;
  records_ = 1;  // as if after a header: data_row() counts the chunk's records from 1
}

void csv_parser::fail(const std::string& reason) const {
  throw csv_syntax_error(input_error(file_, data_row(), record_line_, "", reason).what(), reason);
}

// Bit k set where byte `block + k` is the delimiter, '\n' or '\r' (block + 64 <= size).
std::uint64_t csv_parser::structural_mask(std::size_t block) const {
  const char* at = data_.data() + block;
#if defined(__SSE2__)
  const __m128i delim = _mm_set1_epi8(delim_), lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  std::uint64_t mask = 0;
  for (int k = 0; k < 4; ++k) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 16 * k));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delim), _mm_cmpeq_epi8(v, lf)),
                                     _mm_cmpeq_epi8(v, cr));
    mask |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(hit)))
            << (16 * k);
  }
  return mask;
#else
  std::uint64_t mask = 0;
  for (int k = 0; k < 64; ++k)
    mask |= static_cast<std::uint64_t>(at[k] == delim_ || at[k] == '\n' || at[k] == '\r') << k;
  return mask;
#endif
}

// Most fields end in the block the field before ended in: its mask answers, inline.
inline std::size_t csv_parser::field_end(std::size_t p) {
  const std::size_t offset = p - block_;  // (block_ == SIZE_MAX: the mask is 0)
  if (offset < 64) {
    const std::uint64_t ahead = block_mask_ >> offset;
    if (ahead != 0) return p + static_cast<std::size_t>(std::countr_zero(ahead));
  }
  return field_end_in_next_blocks(p);
}

std::size_t csv_parser::field_end_in_next_blocks(std::size_t p) {
  // A 64-byte block at a time: a bit per delimiter or line end (structural_mask), kept for
  // the next fields of the block; the lowest bit at or after p ends the field. Bytes outside
  // whole blocks of the data (its head and tail) are looked at one by one.
  const std::size_t n = data_.size();
  const auto misalignment = reinterpret_cast<std::uintptr_t>(data_.data()) % 64;
  while (p < n) {
    const std::size_t block = (p + misalignment) / 64 * 64 - misalignment;
    if (p + misalignment < 64 || block + 64 > n) {
      if (data_[p] == delim_ || data_[p] == '\n' || data_[p] == '\r') return p;
      ++p;
      continue;
    }
    if (block != block_) {
      block_ = block;
      block_mask_ = structural_mask(block);
    }
    const std::uint64_t ahead = block_mask_ >> (p - block);
    if (ahead != 0) return p + static_cast<std::size_t>(std::countr_zero(ahead));
    p = block + 64;
  }
  return p;
}

bool csv_parser::next(std::vector<std::string_view>& fields) {
  const std::size_t n = data_.size();
  // Skip blank lines.
  while (pos_ < n && (data_[pos_] == '\n' ||
                      (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n'))) {
    pos_ += data_[pos_] == '\r' ? 2U : 1U;
    ++line_;
  }
  if (pos_ >= n || pos_ >= limit_) return false;
  record_line_ = line_;
  ++records_;
  fields.clear();
  unescaped_used_ = 0;
  while (true) {
    if (pos_ < n && data_[pos_] == '"') {
      const std::size_t start = ++pos_;
      bool escaped = false;
      std::size_t end = 0;
      while (true) {
        const void* q = pos_ < n ? std::memchr(data_.data() + pos_, '"', n - pos_) : nullptr;
        if (!q) fail("a quoted field is never closed");
        const auto qi = static_cast<std::size_t>(static_cast<const char*>(q) - data_.data());
        for (std::size_t k = pos_; k < qi; ++k) line_ += data_[k] == '\n';
        if (qi + 1 < n && data_[qi + 1] == '"') {
          escaped = true;
          pos_ = qi + 2;
          continue;
        }
        end = qi;
        pos_ = qi + 1;
        break;
      }
      std::string_view text = data_.substr(start, end - start);
      if (escaped) {
        if (unescaped_used_ == unescaped_.size()) unescaped_.emplace_back();
        std::string& u = unescaped_[unescaped_used_++];
        u.clear();
        for (std::size_t k = 0; k < text.size(); ++k) {
          u.push_back(text[k]);
          if (text[k] == '"') ++k;  // "" -> "
        }
        text = u;
      }
      fields.push_back(text);
      if (pos_ < n && data_[pos_] != delim_ && data_[pos_] != '\n' && data_[pos_] != '\r')
        fail(std::string("unexpected '") + data_[pos_] + "' after a closing quote");
    } else {
      const std::size_t start = pos_;
      pos_ = field_end(pos_);
      fields.push_back(data_.substr(start, pos_ - start));
    }
    if (pos_ >= n) return true;
    const char c = data_[pos_];
    if (c == delim_) {
      ++pos_;
      continue;
    }
    // End of record: "\n", "\r\n" or a lone "\r".
    pos_ += (c == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') ? 2U : 1U;
    ++line_;
    return true;
  }
}

bool is_null_token(const read_spec& o, std::string_view s) {
  for (const std::string& token : o.csv.null_values)
    if (s == token) return true;
  return false;
}

namespace {

// Clinger's fast path for the common plain decimal, [-]digits[.digits]: with at most 19
// digits, a mantissa m <= 2^53 and at most 22 decimals, m and 10^decimals are exact doubles
// and one division rounds their quotient correctly, so the result is the correctly rounded
// value from_chars gives (which costs about four times as much). Anything else: false, and
// from_chars decides.
bool plain_decimal(std::string_view s, double& out) {
  static constexpr double powers_of_ten[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const char* p = s.data();
  const char* const end = p + s.size();
  const bool negative = p != end && *p == '-';
  p += negative ? 1 : 0;
  std::uint64_t mantissa = 0;
  int digits = 0;
  auto take_digits = [&] {
    const char* const from = p;
    for (; p != end && static_cast<unsigned>(*p - '0') < 10; ++p) {
      if (++digits > 19) return std::ptrdiff_t{-1};
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    }
    return p - from;
  };
  if (take_digits() <= 0) return false;  // (".5" and overlong mantissas: from_chars)
  std::ptrdiff_t decimals = 0;
  if (p != end) {
    if (*p != '.') return false;
    ++p;
    decimals = take_digits();
    if (decimals <= 0 || decimals > 22 || p != end) return false;
  }
  if (mantissa > (std::uint64_t{1} << 53)) return false;
  const double value = static_cast<double>(mantissa) / powers_of_ten[decimals];
  out = negative ? -value : value;
  return true;
}

}  // namespace

bool parse_number(std::string_view s, double& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  s = without_plus(s);
  if (s.empty()) return false;
  if (plain_decimal(s, out)) return true;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Too small for a double (1e-400) is 0 (or a subnormal), as every peer reads it; too
    // large (1e400) is no number.
    const std::string text(s);
    errno = 0;
    const double d = std::strtod(text.c_str(), nullptr);
    if (std::fabs(d) > DBL_MIN) return false;
    out = d;
    return true;
  }
  return ec == std::errc{};
}

namespace {

// --- the file in memory ----------------------------------------------------------------

// A regular file mapped read-only (no copy: the page cache is read in place, by every
// thread at once); anything else (a pipe, /dev/stdin) read whole into memory.
class input_bytes {
 public:
  explicit input_bytes(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw cli_error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      const auto size = static_cast<std::size_t>(st.st_size);
      void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m != MAP_FAILED) {
        ::madvise(m, size, MADV_WILLNEED);  // read ahead while the first chunk parses
        map_ = m;
        size_ = size;
      }
    }
    ::close(fd);
    if (map_ == nullptr) copy_ = read_file(path);
  }
  ~input_bytes() {
    if (map_ != nullptr) ::munmap(map_, size_);
  }
  input_bytes(const input_bytes&) = delete;
  input_bytes& operator=(const input_bytes&) = delete;
  bool mapped() const { return map_ != nullptr; }
  std::string_view text() const {
    return map_ != nullptr ? std::string_view(static_cast<const char*>(map_), size_)
                           : std::string_view(copy_);
  }

 private:
  void* map_ = nullptr;
  std::size_t size_ = 0;
  std::string copy_;
};

// --- one file's columns ------------------------------------------------------------------

// Where each column a run reads sits in one file's header.
struct csv_columns {
  std::string path;
  std::vector<std::string> header;
  std::size_t time = 0;
  std::vector<std::size_t> keys, where, unique, values;
  std::size_t sequence = SIZE_MAX;
  std::vector<std::string> rule_texts;
};

// A row-level problem, numbered within its chunk (rows and lines from 1 at the chunk's
// start) until the chunk's place in the file is known.
struct chunk_error {
  std::uint64_t row = 0, line = 0;
  std::string column, what;
};

// The records that start in [begin, limit) of one file, parsed on their own.
struct csv_chunk {
  std::size_t begin = 0, limit = 0;
  // Data rows of the file before the chunk, where known: --rejects, which reads one chunk a
  // time, numbers its rows with it.
  std::uint64_t rows_before = 0;
  // Its columns are allocated for the records up to here: the first chunk of a table's first
  // file reserves for the whole file, so that the table can take its columns over and the
  // other chunks append without moving them.
  std::size_t reserve_until = 0;
  loaded_table rows;  // string keys: ids into the chunk's own dictionaries
  std::uint64_t records = 0;
  std::uint64_t lines = 0;     // lines from begin to where the parse stopped
  std::size_t stopped_at = 0;  // the start of the first record at or past limit
  std::optional<chunk_error> error;
  std::exception_ptr failure;                          // anything else that went wrong
  std::vector<std::optional<chunk_error>> not_number;  // per value column: its first non-number
};

// About how many records start in [begin, limit): line ends in its first 64 KiB, scaled
// (a little over, so that the columns are allocated once; untouched pages cost nothing).
std::size_t expected_records(std::string_view data, std::size_t begin, std::size_t limit) {
  if (begin >= std::min(limit, data.size())) return 0;
  const std::size_t bytes = std::min(limit, data.size()) - begin;
  const std::size_t sample = std::min<std::size_t>(bytes, 64U << 10);
  const auto lines =
      static_cast<std::size_t>(std::count(data.data() + begin, data.data() + begin + sample, '\n'));
  if (sample == 0) return 0;
  return std::min(bytes / 2 + 1, (lines + 1) * (bytes / sample) * 21 / 20 + 16);
}

}  // namespace

std::string null_tokens(const read_spec& o) {
  std::string l;
  for (const std::string& tok : o.csv.null_values) l += (l.empty() ? "'" : ", '") + tok + "'";
  return l;
}

namespace {

// Parses chunk `k` of `data` into k.rows: every record's --where, time, sequence, record id,
// keys and value cells, exactly as one pass would, but numbering rows from 1. Or, given
// `table` (the first chunk of a read), appends them to it as they are parsed, rows numbered
// from k.rows_before + 1 and keys coded in its dictionaries (no copy from k.rows after).
void parse_chunk(const read_spec& o, const csv_columns& c, std::string_view data, csv_chunk& k,
                 progress_line* progress = nullptr, std::size_t chunks = 1,
                 loaded_table* table = nullptr) {
  csv_parser parser(data, o.csv.delimiter, c.path);
  parser.restrict_to(k.begin, k.limit);
  loaded_table& t = table != nullptr ? *table : k.rows;
  const std::uint64_t rows_before = table != nullptr ? k.rows_before : 0;
  {
    const std::size_t rows =
        t.rows() + expected_records(data, k.begin, std::max(k.limit, k.reserve_until));
    t.time.reserve(rows);
    t.source_row.reserve(rows);
    for (loaded_key& key : t.keys) key.values.reserve(rows);
    for (loaded_value& v : t.values) {
      if (!v.numeric) continue;
      v.f64.reserve(rows);
      v.validity.reserve(rows / 8 + 1);
    }
  }
  std::vector<word_cache> words(c.keys.size());
  timestamp_column_reader times;
  std::vector<std::string_view> fields, id_cells;
  std::string why;
  std::uint64_t row = 0;
  auto error = [&](const std::string& column, std::string what) {
    return chunk_error{row, parser.record_line(), column, std::move(what)};
  };
  try {
    while (parser.next(fields)) {
      ++row;
      ++t.rows_read;
      if (fields.size() != c.header.size())
        throw error("", "expected " + std::to_string(c.header.size()) +
                            " fields (as in the header), found " + std::to_string(fields.size()));
      bool keep = true;
      for (std::size_t w = 0; w < c.where.size() && keep; ++w) {
        const std::string_view cell = fields[c.where[w]];
        keep = passes(o.where[w], cell, is_null_token(o, cell));
        if (keep) continue;
        ++t.rejected_by[w];
        if (o.on_reject)
          o.on_reject({c.path, k.rows_before + row, c.rule_texts[w], c.header, fields});
      }
      if (!keep) {
        ++t.rows_filtered;
        continue;
      }
      const std::string_view ts = fields[c.time];
      std::optional<std::int64_t> ns;
      if (!o.time_unit.empty()) {
        why.clear();
        ns = parse_epoch(ts, o.time_unit, &why);
        if (!ns && why.empty())
          why = "not an integer number of " + o.time_unit + " since the epoch";
      } else {
        ns = times.read(ts, &why);
        if (!ns && parse_epoch(ts, "s"))
          why = "looks like an epoch number; pass --time-unit s|ms|us|ns";
      }
      if (!ns)
        throw error(o.time_column, "cannot read " + shown_cell(ts) + " as a timestamp: " + why);
      if (o.keep_time && !o.keep_time(*ns)) {  // another chunk's row
        ++t.rows_filtered;
        continue;
      }
      if (c.sequence != SIZE_MAX) {
        const std::string_view s = fields[c.sequence];
        std::int64_t seq = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seq);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
          throw error(o.sequence_column,
                      "cannot read " + shown_cell(s) + " as a sequence number (an integer)");
        t.sequence.push_back(seq);
      }
      if (!c.unique.empty()) {
        id_cells.clear();
        bool any_null = false;
        for (const std::size_t u : c.unique) {
          id_cells.push_back(fields[u]);
          any_null = any_null || is_null_token(o, fields[u]);
        }
        t.record_id.push_back(record_id_text(id_cells, any_null));
      }
      const std::size_t at = t.time.size();
      t.time.push_back(*ns);
      t.source_row.push_back(rows_before + row);
      for (std::size_t j = 0; j < c.keys.size(); ++j) {
        loaded_key& key = t.keys[j];
        const std::string_view word = fields[c.keys[j]];
        bool added = false;
        key.values.push_back(words[j].id_of(word, key, added));
        if (o.require_utf8 && added && !valid_utf8(word))
          throw error(o.keys[j], shown_cell(word) +
                                     " is not valid UTF-8, which a Parquet output cannot hold "
                                     "(fix the file's encoding, or write CSV)");
      }
      for (std::size_t j = 0; j < c.values.size(); ++j) {
        loaded_value& v = t.values[j];
        if (!v.numeric) continue;
        const std::string_view s = fields[c.values[j]];
        double d = 0;
        if (is_null_token(o, s)) {
          v.append_f64(at, std::nan(""), false);
        } else if (parse_number(s, d)) {
          v.append_f64(at, d, true);
        } else if (v.requested) {
          throw error(v.name, "cannot read " + shown_cell(s) +
                                  " as a number (null values are: " + null_tokens(o) + ")");
        } else {
          v.numeric = false;  // not a numeric column: not a default value column
          v.f64 = {};
          v.validity = {};
          k.not_number[j] = error("", shown_cell(s) + " is not a number");
        }
      }
      if (progress != nullptr && (row & 0xFFF) == 0)  // (it draws at most 4 times a second)
        progress->update(parser.position() - k.begin, row * chunks);
    }
  } catch (chunk_error& e) {
    k.error = std::move(e);
  } catch (const csv_syntax_error& e) {
    k.error = chunk_error{row + 1, parser.record_line(), "", e.reason()};
  } catch (...) {
    k.failure = std::current_exception();
  }
  k.records = row;
  k.stopped_at = parser.position();
  k.lines = parser.line() - 1;
}

// Appends `rows` bits of the bitmap `src` after the first `have` bits of `dst`.
void append_bits(std::vector<std::uint8_t>& dst, std::size_t have,
                 const std::vector<std::uint8_t>& src, std::size_t rows) {
  dst.resize((have + 7) / 8);
  const unsigned shift = have % 8;
  if (shift == 0) {
    dst.insert(dst.end(), src.begin(), src.begin() + static_cast<std::ptrdiff_t>((rows + 7) / 8));
    return;
  }
  for (std::size_t b = 0; b < (rows + 7) / 8; ++b) {
    dst.back() = static_cast<std::uint8_t>(dst.back() | (src[b] << shift));
    dst.push_back(static_cast<std::uint8_t>(src[b] >> (8 - shift)));
  }
  dst.resize((have + rows + 7) / 8);
}

template <class T>
void append_all(std::vector<T>& dst, const std::vector<T>& src) {
  dst.insert(dst.end(), src.begin(), src.end());
}

// Appends a parsed chunk to the table: rows numbered from `row_offset`, key ids mapped into
// the table's dictionaries (first-seen order kept), value columns and their bitmaps.
void append_chunk(loaded_table& t, csv_chunk& k, std::uint64_t row_offset) {
  loaded_table& c = k.rows;
  const bool adopt = t.time.empty() && row_offset == 0 &&
                     std::all_of(t.keys.begin(), t.keys.end(),
                                 [](const loaded_key& key) { return key.builder.size() == 0; });
  if (adopt) {  // the table's first rows: the chunk's columns become the table's
    t.time = std::move(c.time);
    t.source_row = std::move(c.source_row);
    t.sequence = std::move(c.sequence);
    t.record_id = std::move(c.record_id);
    for (std::size_t j = 0; j < c.keys.size(); ++j) {
      t.keys[j].builder = std::move(c.keys[j].builder);
      t.keys[j].values = std::move(c.keys[j].values);
    }
    for (std::size_t j = 0; j < c.values.size(); ++j) {
      loaded_value& v = t.values[j];
      if (!v.numeric || !c.values[j].numeric) continue;
      v.f64 = std::move(c.values[j].f64);
      v.validity = std::move(c.values[j].validity);
      v.nulls += c.values[j].nulls;
    }
    t.rows_read += c.rows_read;
    t.rows_filtered += c.rows_filtered;
    for (std::size_t w = 0; w < c.rejected_by.size(); ++w) t.rejected_by[w] += c.rejected_by[w];
    return;
  }
  append_all(t.time, c.time);
  for (const std::uint64_t r : c.source_row) t.source_row.push_back(r + row_offset);
  append_all(t.sequence, c.sequence);
  t.record_id.insert(t.record_id.end(), std::make_move_iterator(c.record_id.begin()),
                     std::make_move_iterator(c.record_id.end()));
  t.rows_read += c.rows_read;
  t.rows_filtered += c.rows_filtered;
  for (std::size_t w = 0; w < c.rejected_by.size(); ++w) t.rejected_by[w] += c.rejected_by[w];
  for (std::size_t j = 0; j < c.keys.size(); ++j) {
    std::vector<std::int64_t> id_in_table;
    id_in_table.reserve(c.keys[j].builder.size());
    for (const std::string& word : c.keys[j].builder.words())
      id_in_table.push_back(t.keys[j].code_of(word));
    std::vector<std::int64_t>& out = t.keys[j].values;
    out.reserve(out.size() + c.keys[j].values.size());
    for (const std::int64_t id : c.keys[j].values)
      out.push_back(id_in_table[static_cast<std::size_t>(id)]);
  }
  const std::size_t have = t.time.size() - c.time.size();
  for (std::size_t j = 0; j < c.values.size(); ++j) {
    loaded_value& v = t.values[j];
    if (!v.numeric || !c.values[j].numeric) continue;  // (not a value column after all)
    append_all(v.f64, c.values[j].f64);
    append_bits(v.validity, have, c.values[j].validity, c.time.size());
    v.nulls += c.values[j].nulls;
  }
}

// Where to split the records in [begin, end) among `parts` chunks: just past a line end near
// each even share, and past any blank lines there (a chunk starts on a record).
std::vector<std::size_t> chunk_starts(std::string_view data, std::size_t begin, std::size_t end,
                                      unsigned parts) {
  std::vector<std::size_t> starts{begin};
  const std::size_t n = data.size();
  for (unsigned i = 1; i < parts; ++i) {
    std::size_t p = begin + (end - begin) / parts * i;
    if (p <= starts.back()) continue;
    const void* nl = std::memchr(data.data() + p, '\n', n - p);
    if (nl == nullptr) break;
    p = static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
    while (p < n && (data[p] == '\n' || (data[p] == '\r' && p + 1 < n && data[p + 1] == '\n')))
      p += data[p] == '\r' ? 2U : 1U;
    if (p >= end) break;
    starts.push_back(p);
  }
  return starts;
}

// A chunk is at least 4 MiB (smaller files: one thread); TSFILL_CSV_CHUNK_BYTES sets
// another least size, so that tests can split small files at every kind of place.
std::size_t bytes_per_chunk_at_least() {
  static const std::size_t bytes = [] {
    const char* v = std::getenv("TSFILL_CSV_CHUNK_BYTES");
    const long n = v != nullptr ? std::atol(v) : 0;
    return n > 0 ? static_cast<std::size_t>(n) : std::size_t{4} << 20;
  }();
  return bytes;
}

}  // namespace

// What a csv_file_reader keeps between its reads.
struct csv_file_reader::state {
  state(const read_spec& spec, const std::string& file, loaded_table& table)
      : o(spec), path(file), bytes(file), data(bytes.text()), t(table) {}
  const read_spec& o;
  std::string path;
  input_bytes bytes;
  std::string_view data;
  loaded_table& t;
  csv_columns cols;
  std::size_t position = 0;       // where the next record starts
  std::size_t released = 0;       // the mapped bytes before this are given back
  std::uint64_t row_offset = 0;   // data rows read so far
  std::uint64_t line_offset = 0;  // lines before `position`, less one
};

csv_file_reader::~csv_file_reader() = default;

bool csv_file_reader::done() const {
  return s_->position >= s_->data.size();
}

csv_file_reader::csv_file_reader(const read_spec& o, const std::string& path, loaded_table& t)
    : s_(std::make_unique<state>(o, path, t)) {
  const std::string_view data = s_->data;
  csv_parser parser(data, o.csv.delimiter, path);
  std::vector<std::string_view> fields;
  if (!parser.next(fields))
    throw cli_error(path + ": the file is empty (a CSV input needs a header row)");
  csv_columns& cols = s_->cols;
  cols.path = path;
  cols.header.assign(fields.begin(), fields.end());
  const std::vector<std::string>& header = cols.header;
  auto column_index = [&](const std::string& name) -> long {
    for (std::size_t c = 0; c < header.size(); ++c)
      if (header[c] == name) return static_cast<long>(c);
    return -1;
  };
  {
    std::set<std::string> seen;
    for (const std::string& h : header) {
      if (h.empty())
        throw input_error(
            path, 0, 1, "",
            "column " + std::to_string(&h - header.data() + 1) + " of the header has no name");
      if (!seen.insert(h).second)
        throw input_error(path, 0, 1, h, "the header names this column twice");
      if (o.require_utf8 && !valid_utf8(h))
        throw input_error(path, 0, 1, "",
                          "the column name " + shown_cell(h) +
                              " is not valid UTF-8, which a Parquet output cannot hold (fix the "
                              "file's encoding, or write CSV)");
    }
  }
  auto require = [&](const std::string& name, const char* flag) {
    const long c = column_index(name);
    if (c < 0) throw cli_error(std::string(flag) + ": " + path + " has no column '" + name + "'");
    return static_cast<std::size_t>(c);
  };
  cols.time = require(o.time_column, "--time");
  for (const std::string& k : o.keys) cols.keys.push_back(require(k, "--keys"));
  // --where: each rule's column.
  for (const where_rule& r : o.where) cols.where.push_back(require(r.column, "--where"));
  t.rejected_by.resize(o.where.size(), 0);
  for (const where_rule& r : o.where) cols.rule_texts.push_back(r.text());

  const bool first_file = t.files.size() == 1;
  if (first_file) {
    for (const std::string& k : o.keys) t.keys.push_back(loaded_key{k, true, {}, {}, {}});
    // Value columns: header order; every column but the time and keys by default.
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (c == cols.time || std::find(cols.keys.begin(), cols.keys.end(), c) != cols.keys.end())
        continue;
      const value_selection sel = select_value(o, header[c]);
      if (!sel.selected) {
        t.columns_left_out.push_back(header[c]);
        continue;
      }
      loaded_value v;
      v.name = header[c];
      v.requested = sel.requested;
      t.values.push_back(std::move(v));
    }
    for (const std::string& p : o.value_patterns) {
      if (has_glob(p)) continue;
      if (p == o.time_column) throw flag_error("--values", "'" + p + "' is the --time column");
      if (std::find(o.keys.begin(), o.keys.end(), p) != o.keys.end())
        throw flag_error("--values", "'" + p + "' is a --keys column");
      if (o.absent_values_ok && column_index(p) < 0) {
        t.values_absent.push_back(p);
        continue;
      }
      require(p, "--values");
    }
  }
  for (const std::string& c : o.unique_columns) cols.unique.push_back(require(c, "--unique"));
  if (!o.sequence_column.empty()) cols.sequence = require(o.sequence_column, "--sequence-column");
  for (const loaded_value& v : t.values) cols.values.push_back(require(v.name, "--values"));
  s_->position = parser.position();
  s_->line_offset = parser.line() - 1;
}

void csv_file_reader::read(std::size_t bytes) {
  const read_spec& o = s_->o;
  const std::string& path = s_->path;
  const std::string_view data = s_->data;
  loaded_table& t = s_->t;
  const csv_columns& cols = s_->cols;
  // The records that start in [begin, end), in chunks parsed at once (rows must reach
  // --rejects in input order: then one chunk).
  const std::size_t begin = s_->position;
  const std::size_t end = bytes >= data.size() - begin ? data.size() : begin + bytes;
  if (begin >= end) return;
  const std::size_t most = (end - begin) / bytes_per_chunk_at_least() + 1;
  const auto parts =
      static_cast<unsigned>(o.on_reject ? 1 : std::min<std::size_t>(std::max(1U, o.threads), most));
  auto new_chunk = [&](std::size_t from, std::size_t limit) {
    csv_chunk k;
    k.begin = from;
    k.limit = limit;
    for (const std::string& name : o.keys)
      k.rows.keys.push_back(loaded_key{name, true, {}, {}, {}});
    for (const loaded_value& v : t.values) {
      loaded_value copy;
      copy.name = v.name;
      copy.requested = v.requested;
      copy.numeric = v.numeric;
      k.rows.values.push_back(std::move(copy));
    }
    k.rows.rejected_by.assign(o.where.size(), 0);
    k.not_number.resize(t.values.size());
    return k;
  };
  std::vector<std::size_t> starts = chunk_starts(data, begin, end, parts);
  std::vector<csv_chunk> chunks;
  for (std::size_t i = 0; i < starts.size(); ++i)
    chunks.push_back(new_chunk(starts[i], i + 1 < starts.size() ? starts[i + 1] : end));
  if (t.rows() == 0) chunks[0].reserve_until = end;
  chunks[0].rows_before = s_->row_offset;
  progress_line progress(o.progress, "reading " + path, (end - begin) / chunks.size());
  std::vector<bool> numeric_before;  // (the first chunk marks columns in `t` not numeric)
  for (const loaded_value& v : t.values) numeric_before.push_back(v.numeric);
  {
    std::vector<std::thread> workers;
    for (std::size_t i = 1; i < chunks.size(); ++i)
      workers.emplace_back([&, i] { parse_chunk(o, cols, data, chunks[i]); });
    // The first chunk goes straight into the table, and reports for all: its share of
    // bytes, its rows times the chunks.
    parse_chunk(o, cols, data, chunks[0], &progress, chunks.size(), &t);
    for (std::thread& w : workers) w.join();
  }
  // In file order: a chunk counts only if the one before it ended exactly where it begins
  // (else its start was inside a quoted field: the rest is parsed again, in one pass).
  std::uint64_t& row_offset = s_->row_offset;
  std::uint64_t& line_offset = s_->line_offset;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0 && chunks[i - 1].stopped_at != chunks[i].begin) {
      chunks.resize(i);
      // (the record that ended the chunk before ran past the block's end: the rest is the
      // next read's)
      if (chunks[i - 1].stopped_at >= end) break;
      chunks.push_back(new_chunk(chunks[i - 1].stopped_at, end));
      parse_chunk(o, cols, data, chunks[i]);
    }
    csv_chunk& k = chunks[i];
    if (k.failure) std::rethrow_exception(k.failure);
    if (k.error)
      throw input_error(path, row_offset + k.error->row, line_offset + k.error->line,
                        k.error->column, k.error->what);
    if (i > 0) append_chunk(t, k, row_offset);
    // Columns found not numeric here, in the order one pass finds them: by row.
    std::vector<std::size_t> found;
    for (std::size_t j = 0; j < t.values.size(); ++j)
      if ((i == 0 ? numeric_before[j] : t.values[j].numeric) && k.not_number[j]) found.push_back(j);
    std::stable_sort(found.begin(), found.end(), [&](std::size_t a, std::size_t b) {
      return k.not_number[a]->row < k.not_number[b]->row;
    });
    for (const std::size_t j : found) {
      loaded_value& v = t.values[j];
      v.numeric = false;
      v.f64 = {};
      v.validity = {};
      const chunk_error& e = *k.not_number[j];
      t.not_numeric.emplace_back(
          v.name, input_error(path, row_offset + e.row, line_offset + e.line, "", e.what).what());
    }
    row_offset += k.records;
    line_offset += k.lines;
    k.rows = loaded_table{};  // (its memory back before the next is appended)
  }
  s_->position = chunks.back().stopped_at;
  progress.finish(row_offset);
  // The mapped pages read are given back: a file larger than memory read block by block
  // does not stay in the process's resident set (the page cache may keep them).
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t done = s_->position / page * page;
  if (s_->bytes.mapped() && done > s_->released) {
    ::madvise(const_cast<char*>(data.data()) + s_->released, done - s_->released, MADV_DONTNEED);
    s_->released = done;
  }
}

void csv_file_reader::finish() {
  const read_spec& o = s_->o;
  loaded_table& t = s_->t;
  // Columns that turned out not to be numeric are not value columns (unless requested,
  // which threw above). Glob patterns must still match something numeric.
  for (const loaded_value& v : t.values)
    if (!v.numeric) t.columns_left_out.push_back(v.name);
  std::erase_if(t.values, [](const loaded_value& v) { return !v.numeric; });
  for (const std::string& p : o.value_patterns) {
    if (!has_glob(p)) continue;
    const bool any = std::any_of(t.values.begin(), t.values.end(),
                                 [&](const loaded_value& v) { return glob_match(p, v.name); });
    if (!any)
      throw flag_error("--values", "pattern '" + p + "' matches no numeric column of " + s_->path);
  }
}

void read_csv(const read_spec& o, const std::string& path, loaded_table& t) {
  csv_file_reader file(o, path, t);
  file.read(SIZE_MAX);
  file.finish();
}

}  // namespace tsfill_io
