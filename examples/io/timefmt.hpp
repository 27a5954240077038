// Time parsing and formatting for the command line: ISO-8601 timestamps to UTC nanoseconds,
// nanoseconds back to "YYYY-MM-DD HH:MM:SS", and durations like "30min", "1h30min", "15s".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tsfill/zone_offsets.hpp>

namespace tsfill_io {

// The instants tsfill reads and writes: UTC 1678-01-01 up to 2262-01-01 (exclusive), the
// whole years that int64 nanoseconds hold. Every reader checks times with in_time_range, so
// nothing it accepts is written in a form it would refuse to read back.
inline constexpr std::int64_t first_time_ns = -9'214'560'000'000'000'000;  // 1678-01-01
inline constexpr std::int64_t end_time_ns = 9'214'646'400'000'000'000;     // 2262-01-01
constexpr bool in_time_range(std::int64_t ns) noexcept {
  return first_time_ns <= ns && ns < end_time_ns;
}

// Strips one leading '+' from a number's text, unless a second sign follows ("+-1" stays
// and fails to parse, as every peer reads it).
std::string_view without_plus(std::string_view s) noexcept;

// Parses "YYYY-MM-DD", or "YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]" optionally followed by
// "Z" or a "+HH:MM" / "+HHMM" / "+HH" / "+HH:MM:SS" offset (converted to UTC). Up to 9 fraction
// digits. Returns nullopt (with `why` set) when the text is not such a timestamp or the
// instant, its offset applied, is outside in_time_range (UTC years 1678-2261).
std::optional<std::int64_t> parse_timestamp(std::string_view s, std::string* why = nullptr);
// parse_timestamp's fast path, for the layout nearly every file uses,
// YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z] exactly (no other spaces, no offset): the instant, or
// nullopt for any other text (the general parser then decides; tests compare the two).
std::optional<std::int64_t> parse_fixed_timestamp(std::string_view s) noexcept;

// parse_timestamp for the cells of one column, read in order: the day of the last date read
// in the fixed layout is kept, so that a cell of the same day as the one before (nearly
// every cell of a time series) reads only its clock.
class timestamp_column_reader {
 public:
  std::optional<std::int64_t> read(std::string_view s, std::string* why = nullptr);

 private:
  bool known_ = false;
  std::uint64_t date_head_ = 0;  // the last date's bytes, when known_
  std::uint16_t date_tail_ = 0;
  std::int64_t day_ = 0;  // its day number
};

// Parses an epoch integer in the given unit ("s", "ms", "us", "ns") to nanoseconds; nullopt
// (with `why`) for other text or an instant outside in_time_range.
std::optional<std::int64_t> parse_epoch(std::string_view s, std::string_view unit,
                                        std::string* why = nullptr);

// "YYYY-MM-DD HH:MM:SS", with ".fff" / ".ffffff" / ".fffffffff" only when not whole
// seconds. `offset_seconds` shifts to local time and appends "+HH:MM" when `with_offset`.
// "+HH:MM", or "+HH:MM:SS" for an offset that is not whole minutes (local mean time).
void append_offset(std::string& out, std::int32_t seconds);
std::string format_timestamp(std::int64_t ns, std::int32_t offset_seconds = 0,
                             bool with_offset = false);
void append_timestamp(std::string& out, std::int64_t ns, std::int32_t offset_seconds = 0,
                      bool with_offset = false);

// The interval of constant UTC offset of `zone` that holds instant `ns`, in nanoseconds:
// [begin_ns, end_ns), offset_s seconds east of UTC (local times for --tz).
struct zone_span {
  std::int64_t begin_ns, end_ns;
  std::int32_t offset_s;
};
zone_span zone_span_at(const tsfill::zone_offsets& zone, std::int64_t ns);

// "YYYY-MM-DD" of a day number (days since 1970-01-01).
std::string format_date(std::int64_t day);
// Day number of "YYYY-MM-DD".
std::optional<std::int64_t> parse_date(std::string_view s);

// Parses "30min", "1h", "15s", "1d", "500ms", "1h30min" (units ns, us, ms, s, m|min, h, d)
// to nanoseconds. Returns nullopt with `why` on anything else.
std::optional<std::int64_t> parse_duration(std::string_view s, std::string* why = nullptr);

}  // namespace tsfill_io
