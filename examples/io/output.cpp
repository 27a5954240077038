#include "output.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli_error.hpp"
#include "output_file.hpp"
#include "parallel.hpp"
#include "parquet_io.hpp"
#include "paths.hpp"
#include "signals.hpp"
#include "timefmt.hpp"

namespace tsfill_io {
namespace fs = std::filesystem;

namespace {

// The text of a number into buf[32]; returns its length. Doubles in the shortest form that
// reads back as the same value.
template <class T>
std::size_t format_number(char* buf, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    const std::string_view special = std::isnan(v)    ? "NaN"
                                     : !std::isinf(v) ? ""
                                     : v < 0          ? "-inf"
                                                      : "inf";
    if (!special.empty()) return special.copy(buf, special.size());
    if constexpr (std::is_same_v<T, double>) return format_shortest(buf, v);
  }
  return static_cast<std::size_t>(std::to_chars(buf, buf + 32, v).ptr - buf);
}

}  // namespace

// Why the fast path gives to_chars' text: with K = 15 - (digits before the point), the
// integer M = round(|v| * 10^K) has at most 15 digits, and 10^-K is wider than the gap
// between neighbouring doubles, so at most one M at that scale reads back as v; the
// division M / 10^K (both exact doubles, so correctly rounded, as a parser rounds) checks
// that it does. If it does, v's shortest digits are M's without its trailing zeros (a
// shorter decimal, scaled up, would be another such M). Fixed notation is the shorter
// form (the one to_chars picks, fixed on a tie) from 0.001 up, and for integers unless
// trailing zeros make the exponent form shorter (1e+05): those go to to_chars.
std::size_t format_shortest(char* buf, double v) {
  static constexpr char two_digits[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  static constexpr double exact_powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                            1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                            1e14, 1e15, 1e16, 1e17, 1e18};
  const double a = std::fabs(v);
  if (a >= 0.001 && a < 1e15) {
    int digits_before_point = 0;  // (at least -2: 0.001 <= a)
    if (a >= 1)
      while (digits_before_point < 15 && a >= exact_powers[digits_before_point])
        ++digits_before_point;
    else
      while (a * exact_powers[1 - digits_before_point] < 1) --digits_before_point;
    int k = 15 - digits_before_point;  // 0..17 decimals
    const double scaled = std::nearbyint(a * exact_powers[k]);
    if (scaled < 1e15 && scaled / exact_powers[k] == a) {
      auto m = static_cast<std::uint64_t>(scaled);
      for (const int step : {8, 4, 2, 1}) {  // (drops min(k, trailing zeros) of them)
        const auto unit = static_cast<std::uint64_t>(exact_powers[step]);
        if (k >= step && m % unit == 0) {
          m /= unit;
          k -= step;
        }
      }
      int n = 1;  // digits of m
      while (n < 15 && static_cast<double>(m) >= exact_powers[n]) ++n;
      char digits[16];
      std::uint64_t rest = m;
      for (int i = n; i >= 2; i -= 2, rest /= 100)
        std::memcpy(digits + i - 2, two_digits + 2 * (rest % 100), 2);
      if (n % 2 == 1) digits[0] = static_cast<char>('0' + rest);
      int significant = n;
      while (k == 0 && significant > 1 && digits[significant - 1] == '0') --significant;
      if (k > 0 || n <= significant + (significant > 1 ? 1 : 0) + 4) {
        char* out = buf;
        if (std::signbit(v)) *out++ = '-';
        int from = 0;  // the first digit after the point, or 0
        if (k >= n) {  // 0.00ddd
          std::memcpy(out, "0.00", static_cast<std::size_t>(2 + k - n));
          out += 2 + k - n;
        } else if (k > 0) {  // ddd.ddd
          from = n - k;
          std::memcpy(out, digits, static_cast<std::size_t>(from));
          out += from;
          *out++ = '.';
        }
        std::memcpy(out, digits + from, static_cast<std::size_t>(n - from));
        return static_cast<std::size_t>(out + n - from - buf);
      }
    }
  }
  return static_cast<std::size_t>(std::to_chars(buf, buf + 32, v).ptr - buf);
}

namespace {

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  out.append(buf, format_number(buf, v));
}

// The text of the last number a value column wrote. A filled cell repeats its row's
// observed value or an earlier one, so most filled cells are a copy, not a conversion.
struct last_number {
  std::uint64_t bits = 0;
  bool set = false;
  std::size_t size = 0;
  char text[32];

  // The text of v at `out`, which has room for 32 bytes; returns its end.
  template <class T>
  char* write(char* out, T v) {
    static_assert(sizeof(T) <= sizeof bits);
    std::uint64_t b = 0;
    std::memcpy(&b, &v, sizeof v);
    if (!set || b != bits) {
      set = true;
      bits = b;
      size = format_number(text, v);
    }
    std::memcpy(out, text, sizeof text);  // (all 32: one fixed-size copy, no call)
    return out + size;
  }
};

// Formats slot times quickly: the date part is cached per day. With a zone (--tz), local
// time followed by its offset, "YYYY-MM-DD HH:MM:SS+HH:MM"; the zone interval is cached.
class timestamp_writer {
 public:
  explicit timestamp_writer(const tsfill::zone_offsets* zone) : zone_(zone) {}

  // At most this many bytes (an int64 of nanoseconds spans the years 1677-2262: 35).
  static constexpr std::size_t max_size = 64;

  // The text at `out`, which has room for max_size bytes; returns its end.
  char* write(char* out, std::int64_t ns) {
    // (the common case: a whole second of the day last written, whose year has four digits)
    const std::uint64_t into_day = static_cast<std::uint64_t>(ns) - day_begin_;
    if (zone_ == nullptr && date_.size() == 11 && into_day < std::uint64_t{day_ns} &&
        into_day % 1'000'000'000 == 0) {
      std::memcpy(out, date_.data(), 11);
      return write_clock(out + 11, static_cast<std::int64_t>(into_day / 1'000'000'000));
    }
    scratch_.clear();
    append(scratch_, ns);
    std::memcpy(out, scratch_.data(), scratch_.size());
    return out + scratch_.size();
  }

  void append(std::string& out, std::int64_t ns) {
    if (zone_ == nullptr) return append_wall(out, ns);
    if (ns < interval_begin_ || ns >= interval_end_) {
      const zone_span z = zone_span_at(*zone_, ns);
      interval_begin_ = z.begin_ns;
      interval_end_ = z.end_ns;
      offset_s_ = z.offset_s;
      suffix_.clear();
      append_offset(suffix_, offset_s_);
    }
    if (ns % 1'000'000'000 != 0) return append_timestamp(out, ns, offset_s_, true);
    append_wall(out, ns + std::int64_t{offset_s_} * 1'000'000'000);
    out.append(suffix_);
  }

 private:
  void append_wall(std::string& out, std::int64_t ns) {
    std::int64_t day = ns / day_ns, rem = ns % day_ns;
    if (rem < 0) {
      rem += day_ns;
      --day;
    }
    if (rem % 1'000'000'000 != 0) return append_timestamp(out, ns);  // sub-second: rare
    if (day != day_) {
      day_ = day;
      day_begin_ = static_cast<std::uint64_t>(ns) - static_cast<std::uint64_t>(rem);  // (wraps)
      date_ = format_date(day) + ' ';
    }
    out.append(date_);
    char clock[8];
    write_clock(clock, rem / 1'000'000'000);
    out.append(clock, sizeof clock);
  }

  // HH:MM:SS of the second `s` of a day; returns the end.
  static char* write_clock(char* out, std::int64_t s) {
    const char text[] = {
        static_cast<char>('0' + s / 36000),   static_cast<char>('0' + s / 3600 % 10), ':',
        static_cast<char>('0' + s / 600 % 6), static_cast<char>('0' + s / 60 % 10),   ':',
        static_cast<char>('0' + s % 60 / 10), static_cast<char>('0' + s % 10)};
    std::memcpy(out, text, sizeof text);
    return out + sizeof text;
  }

  static constexpr std::int64_t day_ns = 86'400'000'000'000;
  const tsfill::zone_offsets* zone_;
  std::int64_t interval_begin_ = 0, interval_end_ = 0;  // empty: the first call looks up
  std::int32_t offset_s_ = 0;
  std::string suffix_;
  std::int64_t day_ = INT64_MIN;
  std::uint64_t day_begin_ = 0;  // (ns, modulo 2^64)
  std::string date_;             // "YYYY-MM-DD " of day_ (empty before the first)
  std::string scratch_;
};

constexpr const char* temp_marker = ".tsfill-tmp-";

// The hidden name an output is written under before it is renamed into place:
// ".NAME.tsfill-tmp-PID", NAME cut so that the whole stays within NAME_MAX (255 bytes).
std::string aside_name(const std::string& name) {
  const std::string tail = std::string(temp_marker) + std::to_string(::getpid());
  const std::size_t room = 255 - 1 - tail.size();
  std::size_t keep = std::min(name.size(), room);
  while (keep > 0 && keep < name.size() && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80)
    --keep;  // not inside a UTF-8 character
  return "." + name.substr(0, keep) + tail;
}

// Removes what killed runs left beside `final_path` (their pid in the name, the process
// gone): hidden ".NAME.tsfill-tmp-PID" copies of this output.
void remove_stale_asides(const fs::path& final_path) {
  std::error_code ec;
  const fs::path dir = final_path.parent_path().empty() ? fs::path(".") : final_path.parent_path();
  const std::string mine = aside_name(final_path.filename().string());
  const std::string prefix = mine.substr(0, mine.rfind(temp_marker) + std::strlen(temp_marker));
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string_view digits(name);
    digits.remove_prefix(prefix.size());
    if (digits.size() > 4 && digits.substr(digits.size() - 4) == "-old")
      digits.remove_suffix(4);  // (the old output of an interrupted two-rename replace)
    long pid = 0;
    const auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (err != std::errc{} || p != digits.data() + digits.size() || pid <= 0 || pid == ::getpid())
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
}

// Write aside, then rename into place; removes the aside copy unless committed (and, when a
// signal ends the process, signals.hpp does).
class staged_path {
 public:
  staged_path(const std::string& final_path, bool overwrite)
      : final_(final_path),
        aside_((fs::path(final_path).parent_path() /
                aside_name(fs::path(final_path).filename().string()))
                   .string()),
        overwrite_(overwrite),
        registered_(aside_) {
    remove_stale_asides(final_path);
  }
  const std::string& aside() const { return aside_; }
  void commit() {
    const auto no_signal_now = hold_signals();  // never half a replace
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(final_, ec);
    const bool exists = fs::exists(st);
    if (exists && !overwrite_)
      throw flag_error("--output", final_ + " exists; pass --overwrite to replace it");
    if (exists && fs::is_directory(st)) {
      // A directory cannot be renamed over a non-empty one: exchange the two atomically
      // (readers see the old output or the new, never none), then remove the old one.
      if (::renameat2(AT_FDCWD, aside_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
        committed_ = true;
        fs::remove_all(aside_, ec);  // now the old output
        return;
      }
      // A filesystem without the exchange: two renames, the old output aside first (a
      // crash between them leaves it under the hidden name, swept by the next run).
      const std::string old = aside_ + "-old";
      fs::rename(final_, old, ec);
      if (ec) throw flag_error("--output", final_ + ": cannot replace: " + ec.message());
      fs::rename(aside_, final_, ec);
      if (ec) {
        std::error_code back;
        fs::rename(old, final_, back);
        throw flag_error("--output", final_ + ": cannot replace: " + ec.message());
      }
      committed_ = true;
      fs::remove_all(old, ec);
      return;
    }
    fs::rename(aside_, final_, ec);  // atomic for a file replacing a file
    if (ec) throw flag_error("--output", final_ + ": cannot write: " + ec.message());
    committed_ = true;
  }
  ~staged_path() {
    if (!committed_) {
      std::error_code ec;
      fs::remove_all(aside_, ec);
    }
  }
  staged_path(const staged_path&) = delete;
  staged_path& operator=(const staged_path&) = delete;

 private:
  std::string final_, aside_;
  bool overwrite_;
  temp_path_registration registered_;
  bool committed_ = false;
};

// --overwrite replaces a regular file, or a directory that is recognisably a tsfill
// dataset: partition directories (NAME=VALUE, nested for --layout ymd) holding part files,
// or part files. Anything else (a project folder passed by mistake, a device, a FIFO, a
// symbolic link) is refused, naming what is in the way.
void check_replaceable(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(path, ec);
  if (fs::is_symlink(st))
    throw flag_error("--output", path +
                                     " is a symbolic link: --overwrite replaces only a "
                                     "regular file or a tsfill dataset directory");
  if (fs::is_regular_file(st)) return;
  if (!fs::is_directory(st))
    throw flag_error("--output", path +
                                     " is not a regular file (a device, FIFO or socket): "
                                     "--overwrite replaces only a regular file or a tsfill "
                                     "dataset directory");
  auto part_file = [](const std::string& name) {
    return name.rfind("part-", 0) == 0 &&
           (has_extension(name, ".csv") || has_extension(name, ".tsv") ||
            has_extension(name, ".parquet") || has_extension(name, ".pq"));
  };
  auto check = [&](const fs::path& dir, int depth, auto& self) -> void {
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const fs::file_status s = it->symlink_status(ec);
      if (fs::is_regular_file(s) &&
          (part_file(name) || name.find(temp_marker) != std::string::npos))
        continue;
      if (fs::is_directory(s) && depth < 3 && name.find('=') != std::string::npos &&
          name.front() != '=') {
        self(it->path(), depth + 1, self);
        continue;
      }
      throw flag_error("--output", path + " is not a tsfill dataset (it holds " +
                                       shown_cell(it->path().string()) +
                                       "): --overwrite replaces only a regular file or a "
                                       "directory of partitions and part files");
    }
  };
  check(path, 0, check);
}

[[noreturn]] void throw_write_failed(const std::string& path, int write_errno) {
  throw cli_error(path + ": write failed: " + std::strerror(write_errno));
}

// The CSV rows of segments [first, last) written to `f` (`path`), after the header unless
// `rows_only` (a later chunk of one file).
void write_csv_rows(output_file& f, const std::string& path, const write_spec& o,
                    const output_layout& l, const loaded_table& t, const tsfill::result& r,
                    std::size_t first, std::size_t last, bool rows_only) {
  text_buffer header;
  if (!rows_only) append_csv(header, o, l, t, r, first, first, true);
  bool ok = f.write(header.view());
  int write_errno = ok ? 0 : errno;
  // Rows in blocks of segments, so the text buffers stay small; formatted on o.threads
  // threads at once and written in order, each block by the thread that formatted it.
  // (Blocks of up to 64 Ki rows, smaller for a small file, so that every thread gets some.)
  std::size_t total = 0;
  for (std::size_t s = first; s < last; ++s) total += r.segments()[s].size;
  const std::size_t block_rows =
      std::clamp<std::size_t>(total / (4 * std::max(1U, o.threads)), 4096, 1U << 16);
  std::vector<std::pair<std::size_t, std::size_t>> blocks;
  for (std::size_t s = first; s < last;) {
    std::size_t e = s, rows = 0;
    while (e < last && rows < block_rows) rows += r.segments()[e++].size;
    blocks.emplace_back(s, e);
    s = e;
  }
  std::atomic<std::size_t> next_block{0};
  std::mutex turn_lock;
  std::condition_variable turn_changed;
  std::size_t turn = 0;  // the block to be written next
  bool stop = !ok;
  std::exception_ptr failure;
  auto work = [&] {
    text_buffer buf;
    for (std::size_t b; (b = next_block++) < blocks.size();) {
      buf.clear();
      try {
        append_csv(buf, o, l, t, r, blocks[b].first, blocks[b].second, false);
      } catch (...) {
        const std::lock_guard<std::mutex> hold(turn_lock);
        if (!failure) failure = std::current_exception();
        stop = true;
        turn_changed.notify_all();
        return;
      }
      std::unique_lock<std::mutex> hold(turn_lock);
      turn_changed.wait(hold, [&] { return turn == b || stop; });
      if (stop) return;
      hold.unlock();  // (only the holder of the turn writes)
      const bool written = f.write(buf.view());
      const int e = errno;
      hold.lock();
      if (!written) {
        stop = true;
        write_errno = e;
      }
      ++turn;
      turn_changed.notify_all();
    }
  };
  {
    std::vector<std::thread> helpers;
    const std::size_t threads = std::min<std::size_t>(std::max(1U, o.threads), blocks.size());
    for (std::size_t k = 1; k < threads; ++k) helpers.emplace_back(work);
    work();
    for (std::thread& h : helpers) h.join();
  }
  if (failure) std::rethrow_exception(failure);
  if (!ok || stop) throw_write_failed(path, write_errno);
}

// The CSV file of segments [first, last).
void write_csv_file(const std::string& path, const write_spec& o, const output_layout& l,
                    const loaded_table& t, const tsfill::result& r, std::size_t first,
                    std::size_t last) {
  output_file f(path, false);
  write_csv_rows(f, path, o, l, t, r, first, last, false);
  if (!f.close()) throw_write_failed(path, errno);
}

}  // namespace

void append_csv_field(std::string& out, std::string_view s, char delim) {
  if (s.find_first_of(std::string{delim, '"', '\n', '\r'}) == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (const char c : s) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
}

void write_segments(const std::string& path, const std::string& format, const write_spec& o,
                    const output_layout& l, const loaded_table& t, const tsfill::result& r,
                    std::size_t first, std::size_t last) {
  if (format == "parquet")
    write_parquet(path, o, l, t, r, first, last);
  else
    write_csv_file(path, o, l, t, r, first, last);
}

output_target output_target_of(const write_spec& o) {
  output_target t;
  t.path = o.output;
  const bool csv_ext = has_extension(o.output, ".csv") || has_extension(o.output, ".tsv");
  const bool parquet_ext = has_extension(o.output, ".parquet") || has_extension(o.output, ".pq");
  t.partitioned =
      (!csv_ext && !parquet_ext) || o.output.back() == '/' || fs::is_directory(o.output);
  if (!o.format.empty()) {
    t.format = o.format;
  } else if (csv_ext) {
    t.format = "csv";
  } else if (parquet_ext) {
    t.format = "parquet";
  } else {
    t.format = o.default_format.empty() ? "csv" : o.default_format;  // a directory: like the input
  }
  t.path = without_trailing_slash(t.path);
  std::error_code ec;
  if (fs::exists(fs::symlink_status(t.path, ec))) {
    if (!o.overwrite)
      throw flag_error("--output", t.path + " exists; pass --overwrite to replace it");
    check_replaceable(t.path);
  }
  if (t.format == "parquet" && !parquet_supported())
    throw flag_error("--output",
                     "this tsfill was built without Parquet support (Arrow C++ was not found)");
  return t;
}

std::string partition_path(const write_spec& o, std::int64_t day) {
  const std::string date = format_date(day);  // YYYY-MM-DD
  if (!o.ymd_layout) return o.partition_name + "=" + date;
  return "year=" + date.substr(0, 4) + "/month=" + date.substr(5, 2) + "/day=" + date.substr(8, 2);
}

output_layout layout_of(const write_spec& o, const loaded_table& t, const tsfill::result& r,
                        bool with_partition) {
  output_layout l;
  l.with_partition = with_partition;
  // Names clash-checked with the partition columns even when they are only directory
  // names: a Hive reader puts them back as columns.
  std::size_t partition_columns = 0;
  if (o.partition_by_day) {
    if (with_partition || !o.ymd_layout)
      l.names.push_back(o.partition_name);
    else
      l.names.insert(l.names.end(), {"year", "month", "day"});
    partition_columns = l.names.size();
  }
  for (const loaded_key& k : t.keys) l.names.push_back(k.name);
  l.names.emplace_back("slot_ts");
  for (const tsfill::result_column& c : r.values())
    if (c.has_original()) l.names.push_back(c.name());
  for (const tsfill::result_column& c : r.values()) l.names.push_back(c.name() + o.suffix);
  const std::size_t provenance_start = l.names.size();
  for (const tsfill::result_column& c : r.values()) {
    if (o.provenance.how) l.names.push_back(c.name() + "_how");
    if (o.provenance.from) l.names.push_back(c.name() + "_from");
  }
  const std::size_t filled_start = provenance_start - r.values().size();
  for (std::size_t a = 0; a < l.names.size(); ++a)
    for (std::size_t b = a + 1; b < l.names.size(); ++b)
      if (l.names[a] == l.names[b]) {
        // Blame what made the clash: an input column named like a column the output adds
        // (slot_ts, the partition column), or the suffix of the filled columns.
        const bool reserved = l.names[a] == "slot_ts" || a < partition_columns;
        if (reserved && b < filled_start) {
          const bool slot = l.names[a] == "slot_ts";
          const bool ymd = !slot && partition_columns == 3;
          throw flag_error(slot  ? "--values"
                           : ymd ? "--layout"
                                 : "--partition-name",
                           "the input column " + shown_cell(l.names[b]) +
                               " has the name of a column the output adds; " +
                               (slot  ? "leave it out (--values, --keys) or rename it"
                                : ymd ? "--layout ymd adds year, month and day"
                                      : "choose another --partition-name"));
        }
        if (b >= provenance_start)
          throw flag_error("--provenance", "the output would have two columns named " +
                                               shown_cell(l.names[a]) +
                                               " (--provenance adds COL_how" +
                                               (o.provenance.from ? " and COL_from" : "") +
                                               "); leave the input column out (--values) or "
                                               "rename it");
        throw flag_error("--suffix", "the output would have two columns named " +
                                         shown_cell(l.names[a]) + "; choose another --suffix");
      }
  if (!with_partition)
    l.names.erase(l.names.begin(),
                  l.names.begin() + static_cast<std::ptrdiff_t>(partition_columns));
  return l;
}

void text_buffer::grow(std::size_t n) {
  const std::size_t capacity = std::max({size_ + n, 2 * capacity_, std::size_t{1} << 16});
  auto data = std::make_unique_for_overwrite<char[]>(capacity);
  if (size_ > 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

void append_csv(text_buffer& out, const write_spec& o, const output_layout& l,
                const loaded_table& t, const tsfill::result& r, std::size_t first, std::size_t last,
                bool header) {
  const char d = o.csv.delimiter;
  if (header) {
    std::string line;
    for (std::size_t c = 0; c < l.names.size(); ++c) {
      if (c) line.push_back(d);
      append_csv_field(line, l.names[c], d);
    }
    line.push_back('\n');
    out.append(line);
  }
  timestamp_writer ts(o.zone.get());
  std::vector<last_number> previous(r.values().size());
  std::string partition_text;
  std::int64_t partition_of_text = INT64_MIN;
  for (std::size_t si = first; si < last; ++si) {
    const tsfill::segment& s = r.segments()[si];
    // The row prefix (partition, keys) is the same for the whole segment.
    std::string prefix;
    if (l.with_partition) {
      if (s.partition != partition_of_text) {
        partition_of_text = s.partition;
        partition_text = format_date(s.partition);
      }
      prefix += partition_text;
      prefix.push_back(d);
    }
    for (std::size_t j = 0; j < t.keys.size(); ++j) {
      const std::int64_t v = r.distinct_keys(j)[s.key];
      if (t.keys[j].is_string)
        append_csv_field(prefix, t.keys[j].words[static_cast<std::size_t>(v)], d);
      else
        append_number(prefix, v);
      prefix.push_back(d);
    }
    // Each row is written through a pointer into room made beforehand for the longest row
    // (no size check per field; numbers copied in one fixed-size piece).
    const std::size_t value_columns = r.values().size();
    const std::size_t longest_row =
        prefix.size() + timestamp_writer::max_size + 2 * value_columns * (1 + 32) +
        value_columns * ((o.provenance.how ? 1 + 16 : 0) +
                         (o.provenance.from ? 1 + timestamp_writer::max_size : 0)) +
        1;
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
      char* p = out.room(longest_row);
      std::memcpy(p, prefix.data(), prefix.size());
      p = ts.write(p + prefix.size(), r.slot_times()[i]);
      for (const bool filled : {false, true}) {
        for (std::size_t j = 0; j < value_columns; ++j) {
          const tsfill::result_column& c = r.values()[j];
          if (!filled && !c.has_original()) continue;  // (--no-original)
          *p++ = d;
          if (!(filled ? c.filled_valid(i) : c.original_valid(i))) continue;
          tsfill::visit(c.type(), [&](auto* tag) {
            using T = std::remove_pointer_t<decltype(tag)>;
            p = previous[j].write(p, (filled ? c.filled<T>() : c.original<T>())[i]);
          });
        }
      }
      for (const tsfill::result_column& c : r.values()) {
        if (o.provenance.how) {
          *p++ = d;
          const std::string_view how = tsfill::to_string(c.status()[i]);  // (<= 16 bytes)
          std::memcpy(p, how.data(), how.size());
          p += how.size();
        }
        if (o.provenance.from) {
          *p++ = d;
          if (c.source_times()[i] != tsfill::no_source_time) p = ts.write(p, c.source_times()[i]);
        }
      }
      *p++ = '\n';
      out.used(p);
    }
  }
}

namespace {

// Makes a directory of the hidden copy. Under the signal lock: once a signal is being acted
// on (the copy removed), no new name can appear in it.
void create_directories_aside(const std::string& dir) {
  const auto no_signal_now = hold_signals();
  fs::create_directories(dir);
}

// The partition files of segments [first, last) under directory `aside`, written at once
// on o.threads threads (each file then on one); a failure is the first partition's, in order.
void write_partition_files(const write_spec& o, const output_target& target,
                           const output_layout& layout, const loaded_table& t,
                           const tsfill::result& r, const std::string& aside, std::size_t first,
                           std::size_t last) {
  const std::string ext = target.format == "parquet" ? ".parquet" : ".csv";
  write_spec one_thread = o;
  one_thread.threads = 1;
  std::vector<std::function<void()>> files;
  for (std::size_t s = first; s < last;) {
    std::size_t e = s;
    while (e < last && r.segments()[e].partition == r.segments()[s].partition) ++e;
    const std::string dir = aside + "/" + partition_path(o, r.segments()[s].partition);
    create_directories_aside(dir);
    files.emplace_back([&, dir, s, e] {
      write_segments(dir + "/part-0" + ext, target.format, one_thread, layout, t, r, s, e);
    });
    s = e;
  }
  run_in_order_of_errors(files, o.threads);
}

// Every file of the output, under the hidden name `aside`.
void write_aside(const write_spec& o, const output_target& target, const output_layout& layout,
                 const loaded_table& t, const tsfill::result& r, const std::string& aside) {
  const std::size_t segments = r.segments().size();
  if (!target.partitioned) {
    write_segments(aside, target.format, o, layout, t, r, 0, segments);
  } else {
    create_directories_aside(aside);
    const std::string ext = target.format == "parquet" ? ".parquet" : ".csv";
    if (!o.partition_by_day)
      write_segments(aside + "/part-0" + ext, target.format, o, layout, t, r, 0, segments);
    else
      write_partition_files(o, target, layout, t, r, aside, 0, segments);
  }
}

// An error of writing the hidden copy, named as the user named the output.
[[noreturn]] void rethrow_named(const output_target& target, const std::string& aside) {
  try {
    throw;
  } catch (const std::filesystem::filesystem_error& e) {  // a bad output path: exit 2
    throw flag_error("--output", target.path + ": " + e.code().message());
  } catch (const cli_error& e) {
    std::string what = e.what();
    for (std::size_t at; (at = what.find(aside)) != std::string::npos;)
      what.replace(at, aside.size(), target.path);
    throw cli_error(what);
  }
}

}  // namespace

void write_output(const write_spec& o, const output_target& target, const loaded_table& t,
                  const tsfill::result& r) {
  // (Name clashes are errors here, before anything is written.)
  const output_layout layout = layout_of(o, t, r, o.partition_by_day && !target.partitioned);
  staged_path staged(target.path, o.overwrite);
  try {
    write_aside(o, target, layout, t, r, staged.aside());
  } catch (...) {
    rethrow_named(target, staged.aside());
  }
  staged.commit();
}

struct chunked_output::state {
  state(const write_spec& spec, const output_target& to)
      : o(spec), target(to), staged(to.path, spec.overwrite) {}
  write_spec o;
  output_target target;
  staged_path staged;
  std::vector<std::string> names;  // the first chunk's columns
  std::int64_t last_partition = INT64_MIN;
  bool started = false;
  std::unique_ptr<parquet_file_writer> parquet;  // one Parquet file, open across chunks
  std::unique_ptr<output_file> csv;              // one CSV file, open across chunks
};

chunked_output::chunked_output(const write_spec& o, const output_target& target)
    : s_(std::make_unique<state>(o, target)) {}

chunked_output::~chunked_output() = default;

void chunked_output::write(const loaded_table& t, const tsfill::result& r) {
  state& s = *s_;
  const std::size_t segments = r.segments().size();
  if (segments == 0 && s.started) return;  // (the first chunk writes a CSV file's header)
  const output_layout layout = layout_of(s.o, t, r, !s.target.partitioned);
  if (!s.started) {
    s.names = layout.names;
  } else if (layout.names != s.names) {
    throw cli_error(
        "the columns of the output changed between chunks (a value column taken as numeric by "
        "the first chunk, left out of a later one): with --chunk-days, name the value columns "
        "with --values");
  }
  // Partitions come in order and each only once: a chunk holds whole partitions.
  if (segments > 0) {
    if (r.segments().front().partition <= s.last_partition)
      throw cli_error("tsfill: internal error: partition " +
                      format_date(r.segments().front().partition) +
                      " in two chunks of one --chunk-days run");
    s.last_partition = r.segments().back().partition;
  }
  try {
    if (s.target.partitioned) {
      if (!s.started) create_directories_aside(s.staged.aside());
      write_partition_files(s.o, s.target, layout, t, r, s.staged.aside(), 0, segments);
    } else if (s.target.format == "parquet") {
      if (!s.parquet) s.parquet = std::make_unique<parquet_file_writer>(s.staged.aside());
      s.parquet->append(s.o, layout, t, r);
    } else {
      if (!s.csv) s.csv = std::make_unique<output_file>(s.staged.aside(), false);
      write_csv_rows(*s.csv, s.staged.aside(), s.o, layout, t, r, 0, segments, s.started);
    }
  } catch (...) {
    rethrow_named(s.target, s.staged.aside());
  }
  s.started = true;
}

void chunked_output::commit() {
  try {
    if (s_->parquet) s_->parquet->close();
    if (s_->csv && !s_->csv->close()) throw_write_failed(s_->staged.aside(), errno);
  } catch (...) {
    rethrow_named(s_->target, s_->staged.aside());
  }
  s_->staged.commit();
}

}  // namespace tsfill_io
