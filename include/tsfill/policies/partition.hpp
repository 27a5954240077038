// Partition policies: the boundaries no grid and no fill ever crosses.
//
//   partition::utc_day{offset}
//       UTC calendar days (the default). The id of a partition is its day number since
//       1970-01-01, so the id of 2024-03-01 is 19783. `offset` moves the boundary: with
//       offset 17h, day d runs from 17:00 UTC of day d to 17:00 UTC of day d+1.
//   partition::none
//       One partition over all time: the grid and the fill run over each key's whole
//       history.
//
// Local trading days in a time zone live in the calendar component (<tsfill/calendar.hpp>).
//
// A row belongs to the partition of its slot's start time, so a slot never straddles two
// partitions. Partition ids must be consecutive integers for consecutive partitions.
#pragma once

#include <cstdint>

#include <tsfill/detail/arith.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>

TSFILL_BEGIN_NAMESPACE
namespace partition {

// Partitions of a fixed length (days), bound to ticks.
class fixed_length_function {
 public:
  static constexpr bool bounded = true;

  constexpr fixed_length_function(std::int64_t length, std::int64_t offset) noexcept
      : length_(length), offset_(offset) {}
  constexpr std::int64_t id(std::int64_t t) const noexcept {
    std::int64_t shifted = 0;
    if (TSFILL_UNLIKELY(detail::sub_overflows(t, offset_, &shifted))) {
      // Only within |offset| < length of an int64 limit: move one partition inward first
      // (down near INT64_MAX when offset < 0, up near INT64_MIN when offset > 0).
      const std::int64_t step = offset_ < 0 ? length_ : -length_;
      return detail::floor_div((t - step) - offset_, length_) + (step > 0 ? 1 : -1);
    }
    return detail::floor_div(shifted, length_);
  }
  // Both saturate at the int64 limits for partitions at the edge of representable time.
  constexpr std::int64_t begin(std::int64_t id) const noexcept {
    std::int64_t product = 0, sum = 0;
    if (detail::mul_overflows(id, length_, &product)) return id < 0 ? INT64_MIN : INT64_MAX;
    if (detail::add_overflows(product, offset_, &sum)) return offset_ < 0 ? INT64_MIN : INT64_MAX;
    return sum;
  }
  constexpr std::int64_t end(std::int64_t id) const noexcept {
    return id == INT64_MAX ? INT64_MAX : begin(id + 1);
  }
  constexpr std::int64_t length() const noexcept { return length_; }

 private:
  std::int64_t length_;
  std::int64_t offset_;
};

struct utc_day {
  exact_duration offset{};

  fixed_length_function bind(tick_period p) const {
    const std::int64_t day = exact_duration(std::chrono::days(1)).ticks_or_throw(p, "one day");
    const std::int64_t off = offset.ticks_or_throw(p, "partition::utc_day::offset");
    if (off <= -day || off >= day)
      throw invalid_argument("partition::utc_day::offset must be shorter than a day, got " +
                             offset.to_string());
    return fixed_length_function(day, off);
  }
};

// One unbounded partition, bound to ticks.
class none_function {
 public:
  static constexpr bool bounded = false;
  constexpr std::int64_t id(std::int64_t) const noexcept { return 0; }
  constexpr std::int64_t begin(std::int64_t) const noexcept { return INT64_MIN; }
  constexpr std::int64_t end(std::int64_t) const noexcept { return INT64_MAX; }
};

struct none {
  constexpr none_function bind(tick_period) const noexcept { return {}; }
};

}  // namespace partition
TSFILL_END_NAMESPACE
