// One cell of an Arrow column, whatever its physical type: what the Parquet reader (Arrow
// C++) and the Arrow stream reader (the C Data Interface) both decode columns into, so that
// rules, times and keys are read one way whichever way the columns came.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "timefmt.hpp"

namespace tsfill_io {

struct cell {
  enum class kind { integer, floating, text, instant, out_of_range, other };
  bool null = false;
  kind k = kind::other;
  std::int64_t i = 0;  // integers, booleans, instants (ns since the epoch)
  double d = 0;        // floating
  std::string_view s;  // text
};

// A time of `value` units of `scale` ns: an instant, or out of range (checked multiplication,
// then the range every reader accepts).
inline void instant_of(std::int64_t value, std::int64_t scale, cell& c) {
  c.k = __builtin_mul_overflow(value, scale, &c.i) || !in_time_range(c.i) ? cell::kind::out_of_range
                                                                          : cell::kind::instant;
}

// The cell as text: what --where compares and --rejects writes.
inline std::string text_of(const cell& c) {
  switch (c.k) {
    case cell::kind::integer:
      return std::to_string(c.i);
    case cell::kind::floating: {
      char buf[32];
      return std::string(buf, std::to_chars(buf, buf + sizeof buf, c.d).ptr);
    }
    case cell::kind::text:
      return std::string(c.s);
    case cell::kind::instant:
      return format_timestamp(c.i);
    case cell::kind::out_of_range:
    case cell::kind::other:
      return "?";
  }
  return "?";
}

// The instant a time cell holds (ns since the epoch, UTC), or none with `why` set: instants
// as they are, text as ISO-8601, integers as epochs in `time_unit` (s|ms|us|ns).
inline std::optional<std::int64_t> time_of(const cell& c, const std::string& time_unit,
                                           std::string& why) {
  // (`why` is written on failure only: every row of a file passes through here)
  if (c.null) {
    why = "the time is null";
  } else if (c.k == cell::kind::instant) {
    return c.i;
  } else if (c.k == cell::kind::text) {
    return parse_timestamp(c.s, &why);
  } else if (c.k == cell::kind::integer) {
    if (time_unit.empty()) {
      why = "an integer time column needs --time-unit s|ms|us|ns";
      return std::nullopt;
    }
    return parse_epoch(std::to_string(c.i), time_unit, &why);
  } else if (c.k == cell::kind::out_of_range) {
    why = "outside the nanosecond range (UTC years 1678-2261)";
  } else {
    why = "unsupported type";
  }
  return std::nullopt;
}

}  // namespace tsfill_io
