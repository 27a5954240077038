// IANA time zones for the calendar component, read from the system's tz database through
// Howard Hinnant's date/tz.h (Debian: libhowardhinnant-date-dev, built with USE_OS_TZDB).
//
// A zone is kept as the list of its UTC-offset intervals from 1678 to 2262 (the range of
// nanosecond timestamps): local = UTC + offset inside each interval. Looking up the offset of
// an instant is then a binary search, cheap enough per row. Copies share the table.
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

TSFILL_BEGIN_NAMESPACE

class time_zone {
 public:
  // One interval of constant offset: from `begin` (seconds since the epoch, UTC) to the next
  // interval's begin. The first interval reaches back without limit, the last forward.
  struct interval {
    std::int64_t begin;
    std::int32_t offset;  // seconds: local time = UTC + offset
  };

  // Throws invalid_argument naming the zone when the tz database does not know it.
  explicit time_zone(std::string_view name) : data_(load(std::string(name))) {}
  static time_zone utc() { return time_zone("UTC"); }

  const std::string& name() const noexcept { return data_->name; }
  std::span<const interval> intervals() const noexcept { return data_->intervals; }

  // The interval holding UTC second `t`.
  std::size_t interval_at(std::int64_t t) const noexcept {
    const auto& v = data_->intervals;
    const auto it = std::upper_bound(v.begin() + 1, v.end(), t,
                                     [](std::int64_t x, const interval& i) { return x < i.begin; });
    return static_cast<std::size_t>(it - v.begin()) - 1;
  }
  std::int32_t offset_at(std::int64_t t) const noexcept {
    return data_->intervals[interval_at(t)].offset;
  }

  // The UTC second of local second `l`. A local time that does not exist (the hour skipped
  // when clocks go forward) maps to the instant the gap ends; one that exists twice (the hour
  // repeated when clocks go back) maps to the earlier instant.
  std::int64_t to_utc(std::int64_t l) const noexcept {
    const auto& v = data_->intervals;
    // Candidates: intervals whose local span contains l; the first one wins (earlier).
    std::size_t i = interval_at(l - 86'400 * 2);
    for (; i < v.size(); ++i) {
      const std::int64_t u = l - v[i].offset;
      const std::int64_t end = i + 1 < v.size() ? v[i + 1].begin : INT64_MAX;
      if (u < v[i].begin) return v[i].begin;  // l fell into a gap: the gap ends here
      if (u < end) return u;
    }
    return l - v.back().offset;
  }

  friend bool operator==(const time_zone& a, const time_zone& b) noexcept {
    return a.name() == b.name();
  }

 private:
  struct data {
    std::string name;
    std::vector<interval> intervals;
  };

  static std::shared_ptr<const data> load(const std::string& name) {
    const date::time_zone* z = nullptr;
    try {
      z = date::locate_zone(name);
    } catch (const std::exception&) {
      throw invalid_argument("unknown time zone '" + name +
                             "' (expected an IANA name such as America/New_York or UTC)");
    }
    auto d = std::make_shared<data>();
    d->name = name;
    using namespace std::chrono;
    const date::sys_seconds first{seconds(-9'220'000'000LL)};  // 1677-11
    const date::sys_seconds stop{seconds(9'220'000'000LL)};    // 2262-03
    date::sys_seconds t = first;
    while (t < stop) {
      const date::sys_info info = z->get_info(t);
      const auto offset = static_cast<std::int32_t>(info.offset.count());
      if (d->intervals.empty() || d->intervals.back().offset != offset)
        d->intervals.push_back(
            {d->intervals.empty() ? INT64_MIN : info.begin.time_since_epoch().count(), offset});
      if (info.end <= t) break;
      t = info.end;
    }
    if (d->intervals.empty()) d->intervals.push_back({INT64_MIN, 0});
    return d;
  }

  std::shared_ptr<const data> data_;
};

TSFILL_END_NAMESPACE
