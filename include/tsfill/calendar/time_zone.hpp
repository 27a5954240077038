// IANA time zones for the calendar component, read from the system's tz database through
// Howard Hinnant's date/tz.h (Debian: libhowardhinnant-date-dev, built with USE_OS_TZDB).
//
// A zone is kept as the list of its UTC-offset intervals from 1678 to 2262 (the range of
// nanosecond timestamps), a zone_offsets (zone_offsets.hpp): local = UTC + offset inside each
// interval. Looking up the offset of an instant is then a binary search, cheap enough per
// row. Copies share the table.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <date/tz.h>

#include <tsfill/detail/arith.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/zone_offsets.hpp>

TSFILL_BEGIN_NAMESPACE

class time_zone {
 public:
  using interval = zone_offsets::interval;

  // Throws invalid_argument naming the zone when the tz database does not know it.
  explicit time_zone(std::string_view name) : offsets_(load(std::string(name))) {}
  static time_zone utc() { return time_zone("UTC"); }

  const std::string& name() const noexcept { return offsets_.name(); }
  std::span<const interval> intervals() const noexcept { return offsets_.intervals(); }
  // The zone's offset table, for code that needs no tz database (writers of local times).
  const zone_offsets& offsets() const noexcept { return offsets_; }

  std::size_t interval_at(std::int64_t t) const noexcept { return offsets_.interval_at(t); }
  std::int32_t offset_at(std::int64_t t) const noexcept { return offsets_.offset_at(t); }
  // See zone_offsets::to_utc (skipped local times map to the gap's end, repeated ones to the
  // earlier instant).
  std::int64_t to_utc(std::int64_t l) const noexcept { return offsets_.to_utc(l); }

  friend bool operator==(const time_zone& a, const time_zone& b) noexcept {
    return a.name() == b.name();
  }

 private:
  static zone_offsets load(const std::string& name) {
    const date::time_zone* z = nullptr;
    try {
      z = date::locate_zone(name);
    } catch (const std::exception&) {
      throw invalid_argument("unknown time zone '" + name +
                             "' (expected an IANA name such as America/New_York or UTC)");
    }
    std::vector<interval> intervals;
    using namespace std::chrono;
    const date::sys_seconds first{seconds(-9'220'000'000LL)};  // 1677-11
    const date::sys_seconds stop{seconds(9'220'000'000LL)};    // 2262-03
    date::sys_seconds t = first;
    while (t < stop) {
      const date::sys_info info = z->get_info(t);
      const auto offset = static_cast<std::int32_t>(info.offset.count());
      if (intervals.empty() || intervals.back().offset != offset)
        intervals.push_back(
            {intervals.empty() ? INT64_MIN : info.begin.time_since_epoch().count(), offset});
      if (info.end <= t) break;
      t = info.end;
    }
    if (intervals.empty()) intervals.push_back({INT64_MIN, 0});
    return zone_offsets(name, std::move(intervals));
  }

  zone_offsets offsets_;
};

TSFILL_END_NAMESPACE
