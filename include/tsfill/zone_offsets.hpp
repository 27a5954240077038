// A time zone as the intervals of its UTC offset: all that converting between UTC and local
// time needs, with no tz database. The calendar component fills one from the system's tz
// database (calendar/time_zone.hpp); writers use one to print local times with offsets.
// Copies share the table.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>

TSFILL_BEGIN_NAMESPACE

class zone_offsets {
 public:
  // One interval of constant offset: from `begin` (seconds since the epoch, UTC) to the next
  // interval's begin. The first interval reaches back without limit (begin INT64_MIN), the
  // last forward.
  struct interval {
    std::int64_t begin;
    std::int32_t offset;  // seconds: local time = UTC + offset
  };

  zone_offsets() : zone_offsets("UTC", {{INT64_MIN, 0}}) {}
  zone_offsets(std::string name, std::vector<interval> intervals)
      : data_(std::make_shared<const data>(data{std::move(name), std::move(intervals)})) {
    const auto& v = data_->intervals;
    if (v.empty() || v.front().begin != INT64_MIN)
      throw invalid_argument("zone_offsets '" + data_->name +
                             "': the first interval must begin at INT64_MIN");
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i].begin <= v[i - 1].begin)
        throw invalid_argument("zone_offsets '" + data_->name + "': interval begins must increase");
  }

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

 private:
  struct data {
    std::string name;
    std::vector<interval> intervals;
  };
  std::shared_ptr<const data> data_;
};

TSFILL_END_NAMESPACE
