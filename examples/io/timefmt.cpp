#include "timefmt.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <tsfill/time.hpp>

namespace tsfill_io {
namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::int64_t ns_per_day = 86'400 * ns_per_s;

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::nullopt_t fail(std::string* why, const char* text) {
  if (why) *why = text;
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> parse_date(std::string_view s) {
  const auto day = tsfill::parse_date(s);
  if (!day) return std::nullopt;
  return day->time_since_epoch().count();
}

namespace {

// The fixed layout's date, "YYYY-MM-DD" at the start of s (s.size() >= 10): its day number,
// or nullopt for another text or a date that does not exist.
std::optional<std::int64_t> fixed_layout_day(std::string_view s) noexcept {
  if (s[4] != '-' || s[7] != '-') return std::nullopt;
  bool ok = true;
  auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      const auto d = static_cast<unsigned>(s[i] - '0');
      ok = ok && d < 10;
      v = v * 10 + static_cast<int>(d);
    }
    return v;
  };
  const int y = number(0, 4), m = number(5, 2), d = number(8, 2);
  if (!ok || m < 1 || m > 12 || d < 1) return std::nullopt;
  const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > month_days[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; the
  // era is -1 only for January and February of year 0, far outside the nanosecond range).
  const int yy = y - (m <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

// The rest of the fixed layout after a date of day `day` (s.size() >= 19):
// "[T ]HH:MM:SS[.f{1,9}][Z]", the clock read as one 8-byte word.
std::optional<std::int64_t> fixed_layout_instant(std::string_view s, std::int64_t day) noexcept {
  if (s[10] != 'T' && s[10] != ' ') return std::nullopt;
  std::uint64_t clock;  // "HH:MM:SS", byte 0 first (little-endian)
  std::memcpy(&clock, s.data() + 11, 8);
  if constexpr (std::endian::native == std::endian::big) clock = __builtin_bswap64(clock);
  constexpr std::uint64_t colon_bytes = 0x0000FF0000FF0000ULL, ones = 0x0101010101010101ULL;
  if ((clock & colon_bytes) != (0x3A3A3A3A3A3A3A3AULL & colon_bytes)) return std::nullopt;
  const std::uint64_t digit_bytes = ~colon_bytes;
  // A byte is a digit when its high half is 3 and adding 6 keeps it so (no byte carries:
  // all are 0x30-0x3F or ':' once the first test holds).
  if ((clock & digit_bytes & (0xF0 * ones)) != (0x30 * ones & digit_bytes) ||
      ((clock + 0x06 * ones) & digit_bytes & (0xF0 * ones)) != (0x30 * ones & digit_bytes))
    return std::nullopt;
  const std::uint64_t d = clock - 0x30 * ones;    // each byte its digit (0x0A at the colons)
  const std::uint64_t pairs = d * 10 + (d >> 8);  // bytes 0, 3 and 6: HH, MM and SS
  const auto hh = static_cast<int>(pairs & 0xFF), mi = static_cast<int>((pairs >> 24) & 0xFF),
             ss = static_cast<int>((pairs >> 48) & 0xFF);
  if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;
  std::size_t p = 19;
  std::int64_t frac = 0;
  if (p < s.size() && s[p] == '.') {
    const std::size_t first = ++p;
    for (; p < s.size() && p - first < 9 && static_cast<unsigned>(s[p] - '0') < 10; ++p)
      frac = frac * 10 + (s[p] - '0');
    if (p == first) return std::nullopt;
    for (std::size_t n = p - first; n < 9; ++n) frac *= 10;
  }
  if (p < s.size() && s[p] == 'Z') ++p;
  if (p != s.size()) return std::nullopt;
  const std::int64_t t = day * 86'400 + hh * 3600 + mi * 60 + ss;
  if (t < first_time_ns / ns_per_s || t >= end_time_ns / ns_per_s) return std::nullopt;
  return t * ns_per_s + frac;
}

}  // namespace

std::optional<std::int64_t> parse_fixed_timestamp(std::string_view s) noexcept {
  if (s.size() < 19) return std::nullopt;
  const auto day = fixed_layout_day(s);
  return day ? fixed_layout_instant(s, *day) : std::nullopt;
}

std::optional<std::int64_t> timestamp_column_reader::read(std::string_view s, std::string* why) {
  if (s.size() >= 19) {
    std::uint64_t head;  // the date's first 8 bytes and last 2
    std::uint16_t tail;
    std::memcpy(&head, s.data(), 8);
    std::memcpy(&tail, s.data() + 8, 2);
    if (!known_ || head != date_head_ || tail != date_tail_) {
      const auto day = fixed_layout_day(s);
      known_ = day.has_value();
      if (known_) {
        date_head_ = head;
        date_tail_ = tail;
        day_ = *day;
      }
    }
    if (known_)
      if (const auto t = fixed_layout_instant(s, day_)) return t;
  }
  return parse_timestamp(s, why);
}

std::optional<std::int64_t> parse_timestamp(std::string_view s, std::string* why) {
  if (const auto fast = parse_fixed_timestamp(s)) return fast;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.size() < 10) return fail(why, "expected YYYY-MM-DD[THH:MM[:SS[.f]]][Z|+HH:MM]");
  const auto day = parse_date(s.substr(0, 10));
  if (!day) return fail(why, "not a valid YYYY-MM-DD date");
  // Seconds first (no overflow for any four-digit year); the range is checked on the UTC
  // instant, once the offset is applied, so a local 2262-01-01T00:30+01:00 is 2261 in UTC.
  const auto utc = [&](std::int64_t local_s, std::int64_t frac_ns,
                       std::int64_t offset_s) -> std::optional<std::int64_t> {
    const std::int64_t t = local_s - offset_s;
    if (t < first_time_ns / ns_per_s || t >= end_time_ns / ns_per_s)
      return fail(why, "outside the nanosecond range (UTC years 1678-2261)");
    return t * ns_per_s + frac_ns;
  };
  const std::int64_t day_s = *day * 86'400;
  std::size_t p = 10;
  if (p == s.size()) return utc(day_s, 0, 0);
  if (s[p] != 'T' && s[p] != 't' && s[p] != ' ')
    return fail(why, "expected 'T' or a space after the date");
  ++p;
  int hh = 0, mm = 0, ss = 0;
  if (!digits(s, p, 2, hh) || p + 2 >= s.size() || s[p + 2] != ':' || !digits(s, p + 3, 2, mm))
    return fail(why, "expected HH:MM after the date");
  p += 5;
  std::int64_t frac = 0;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, ss)) return fail(why, "expected two digits of seconds");
    p += 3;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int n = 0;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (n == 9) return fail(why, "more than 9 digits of fractional seconds");
        frac = frac * 10 + (s[p] - '0');
        ++n;
        ++p;
      }
      if (n == 0) return fail(why, "expected digits after the decimal point");
      for (; n < 9; ++n) frac *= 10;
    }
  }
  if (hh > 23 || mm > 59 || ss > 59) return fail(why, "hour, minute or second out of range");
  const std::int64_t local_s = day_s + static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss;
  if (p == s.size()) return utc(local_s, frac, 0);
  if (s[p] == 'Z' || s[p] == 'z') {
    if (p + 1 != s.size()) return fail(why, "unexpected text after 'Z'");
    return utc(local_s, frac, 0);
  }
  if (s[p] != '+' && s[p] != '-') return fail(why, "unexpected text after the time");
  const int sign = s[p] == '-' ? -1 : 1;
  ++p;
  int oh = 0, om = 0, os = 0;
  if (!digits(s, p, 2, oh)) return fail(why, "expected +HH:MM offset");
  p += 2;
  if (p < s.size() && s[p] == ':') ++p;
  if (p < s.size()) {
    if (!digits(s, p, 2, om)) return fail(why, "expected +HH:MM offset");
    p += 2;
    // Seconds: local mean time offsets before time zones, e.g. -04:56:02 in New York.
    if (p < s.size() && (s[p] != ':' || !digits(s, p + 1, 2, os) || p + 3 != s.size()))
      return fail(why, "expected +HH:MM or +HH:MM:SS offset");
  }
  if (oh > 23 || om > 59 || os > 59) return fail(why, "offset out of range");
  // Local time minus the offset is UTC.
  return utc(local_s, frac, sign * (static_cast<std::int64_t>(oh) * 3600 + om * 60 + os));
}

std::string_view without_plus(std::string_view s) noexcept {
  if (s.size() >= 2 && s[0] == '+' && s[1] != '+' && s[1] != '-') s.remove_prefix(1);
  return s;
}

std::optional<std::int64_t> parse_epoch(std::string_view s, std::string_view unit,
                                        std::string* why) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  s = without_plus(s);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  std::int64_t scale = 1;
  if (unit == "s")
    scale = ns_per_s;
  else if (unit == "ms")
    scale = 1'000'000;
  else if (unit == "us")
    scale = 1'000;
  else if (unit == "ns")
    scale = 1;
  else
    return std::nullopt;
  std::int64_t out = 0;
  if (__builtin_mul_overflow(v, scale, &out) || !in_time_range(out))
    return fail(why, "outside the nanosecond range (UTC years 1678-2261)");
  return out;
}

void append_offset(std::string& out, std::int32_t seconds) {
  const std::int32_t a = seconds < 0 ? -seconds : seconds;
  char buf[16];
  const int n = a % 60 == 0 ? std::snprintf(buf, sizeof buf, "%c%02d:%02d", seconds < 0 ? '-' : '+',
                                            a / 3600, a / 60 % 60)
                            : std::snprintf(buf, sizeof buf, "%c%02d:%02d:%02d",
                                            seconds < 0 ? '-' : '+', a / 3600, a / 60 % 60, a % 60);
  out.append(buf, static_cast<std::size_t>(n));
}

void append_timestamp(std::string& out, std::int64_t ns, std::int32_t offset_seconds,
                      bool with_offset) {
  ns += static_cast<std::int64_t>(offset_seconds) * ns_per_s;
  std::int64_t day = ns / ns_per_day;
  std::int64_t rem = ns % ns_per_day;
  if (rem < 0) {
    rem += ns_per_day;
    --day;
  }
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  const std::int64_t secs = rem / ns_per_s, frac = rem % ns_per_s;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld",
                        static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                        static_cast<unsigned>(ymd.day()), static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out.append(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    if (frac % 1'000'000 == 0)
      n = std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(frac / 1'000'000));
    else if (frac % 1'000 == 0)
      n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac / 1'000));
    else
      n = std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(frac));
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (with_offset) {
    append_offset(out, offset_seconds);
  }
}

std::string format_timestamp(std::int64_t ns, std::int32_t offset_seconds, bool with_offset) {
  std::string s;
  append_timestamp(s, ns, offset_seconds, with_offset);
  return s;
}

zone_span zone_span_at(const tsfill::zone_offsets& zone, std::int64_t ns) {
  // Interval begins are seconds; in nanoseconds they saturate at the ends of the range.
  const auto to_ns = [](std::int64_t s) {
    if (s >= INT64_MAX / ns_per_s) return INT64_MAX;
    if (s <= INT64_MIN / ns_per_s) return INT64_MIN;
    return s * ns_per_s;
  };
  const std::int64_t seconds = ns / ns_per_s - (ns % ns_per_s < 0 ? 1 : 0);
  const std::size_t i = zone.interval_at(seconds);
  const auto v = zone.intervals();
  return {to_ns(v[i].begin), i + 1 < v.size() ? to_ns(v[i + 1].begin) : INT64_MAX, v[i].offset};
}

std::string format_date(std::int64_t day) {
  using namespace std::chrono;
  const year_month_day ymd{sys_days{days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<std::int64_t> parse_duration(std::string_view s, std::string* why) {
  struct unit {
    std::string_view name;
    std::int64_t ns;
  };
  // Longest names first so "ms" is not read as "m" + "s".
  static constexpr unit units[] = {{"min", 60 * ns_per_s}, {"ns", 1},        {"us", 1'000},
                                   {"ms", 1'000'000},      {"s", ns_per_s},  {"m", 60 * ns_per_s},
                                   {"h", 3600 * ns_per_s}, {"d", ns_per_day}};
  if (s.empty()) return fail(why, "empty duration");
  std::int64_t total = 0;
  std::size_t p = 0;
  while (p < s.size()) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data() + p, s.data() + s.size(), n);
    if (ec != std::errc{} || end == s.data() + p || n < 0)
      return fail(why,
                  "expected a number followed by a unit (ns, us, ms, s, min, h, d), e.g. 30min");
    p = static_cast<std::size_t>(end - s.data());
    const unit* found = nullptr;
    for (const unit& u : units) {
      if (s.substr(p, u.name.size()) == u.name) {
        found = &u;
        break;
      }
    }
    if (!found)
      return fail(why, "unknown unit; use ns, us, ms, s, min, h or d (e.g. 30min, 1h, 15s)");
    p += found->name.size();
    std::int64_t part = 0;
    if (__builtin_mul_overflow(n, found->ns, &part) || __builtin_add_overflow(total, part, &total))
      return fail(why, "too long");
  }
  return total;
}

}  // namespace tsfill_io
