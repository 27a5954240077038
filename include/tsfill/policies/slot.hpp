// Slot policies: which slot (bucket) of time each row falls into.
//
//   slot::fixed{width, offset, origin}
//       Slots of a fixed length. Slot k covers [origin + offset + k*width,
//       origin + offset + (k+1)*width). The default origin is the Unix epoch, so 30min slots
//       start at :00 and :30 and 1d slots at UTC midnight. Use `offset` to shift the slots
//       (e.g. 1h slots starting at :15) and `origin` to anchor them at a given instant.
//       Timestamps before the origin round down (toward the past), as they must.
//
// Calendar slots (week, month, quarter) and time-zone-aware local slots live in the
// optional calendar component (<tsfill/calendar.hpp>).
//
// A slot policy is bound to the input's tick period once per run; the bound object maps a
// timestamp to an integer slot ordinal (consecutive slots have consecutive ordinals) and an
// ordinal back to its start time. See concepts.hpp for writing your own.
#pragma once

#include <cstdint>
#include <string>

#include <tsfill/detail/arith.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>

TSFILL_BEGIN_NAMESPACE
namespace slot {

// Fixed-width slots, bound to ticks.
class fixed_function {
 public:
  static constexpr bool uniform = true;  // every slot has the same length in ticks

  constexpr fixed_function(std::int64_t width, std::int64_t anchor) noexcept
      : width_(width), anchor_(detail::floor_mod(anchor, width)) {}

  // Ordinals are relative to an anchor reduced into [0, width), so they differ from
  // "slots since the origin" by a constant; only their differences and start() matter.
  constexpr std::int64_t ordinal(std::int64_t t) const noexcept {
    // t - anchor overflows only within `anchor` of INT64_MIN; step one width up there.
    if (TSFILL_UNLIKELY(t < INT64_MIN + anchor_))
      return detail::floor_div(t + (width_ - anchor_), width_) - 1;
    return detail::floor_div(t - anchor_, width_);
  }
  // Saturates at the int64 limits (reached only by partition bounds, never by data that
  // passed check_range).
  constexpr std::int64_t start(std::int64_t ordinal) const noexcept {
    std::int64_t product = 0, sum = 0;
    if (detail::mul_overflows(ordinal, width_, &product))
      return ordinal < 0 ? INT64_MIN : INT64_MAX;
    if (detail::add_overflows(product, anchor_, &sum)) return INT64_MAX;
    return sum;
  }
  constexpr std::int64_t width() const noexcept { return width_; }
  constexpr std::int64_t anchor() const noexcept { return anchor_; }

  // Throws when a timestamp in [lo, hi] is so close to INT64_MIN that its slot's start
  // is not representable.
  void check_range(std::int64_t lo, std::int64_t /*hi*/) const {
    // Distance from INT64_MIN, computed without signed overflow.
    const std::uint64_t headroom =
        static_cast<std::uint64_t>(lo) - static_cast<std::uint64_t>(INT64_MIN);
    if (headroom < static_cast<std::uint64_t>(anchor_) + static_cast<std::uint64_t>(width_))
      throw invalid_argument("timestamp " + std::to_string(lo) +
                             " is too close to the int64 minimum to be slotted");
  }

 private:
  std::int64_t width_;
  std::int64_t anchor_;
};

struct fixed {
  exact_duration width{};
  exact_duration offset{};
  instant origin{};

  fixed_function bind(tick_period p) const {
    const std::int64_t w = width.ticks_or_throw(p, "slot::fixed::width");
    if (w <= 0)
      throw invalid_argument("slot::fixed::width must be positive, got " + width.to_string());
    const std::int64_t off = offset.ticks_or_throw(p, "slot::fixed::offset");
    const std::int64_t org = origin.ticks_or_throw(p, "slot::fixed::origin");
    // Only the anchor modulo the width matters; reduce before adding to avoid overflow.
    const std::int64_t anchor = detail::floor_mod(off, w) + detail::floor_mod(org, w);
    return fixed_function(w, anchor);
  }
};

}  // namespace slot
TSFILL_END_NAMESPACE
