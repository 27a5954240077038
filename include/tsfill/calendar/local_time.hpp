// Slots and partitions in local time (the calendar component).
//
//   slot::local{width, zone, origin}
//       Slots of a fixed length of *local* time: a slot starts wherever the local wall clock
//       reads origin + k * width (origin: local 1970-01-01 00:00 unless given). When clocks
//       go forward, boundaries in the skipped hour collapse into one at the moment the clock
//       jumps (pandas' nonexistent='shift_forward'): a 30-minute grid has 46 slots in New
//       York on 2024-03-10, and in a zone whose clocks skip midnight the day still gets a slot,
//       starting at 01:00. When clocks go back the repeated boundaries exist twice, in order
//       (50 slots on 2024-11-03, both 01:00-01:30s kept). 1d gives local calendar days.
//   slot::calendar{unit, zone, week_start}
//       Calendar periods in local time: day, week (starting on week_start, Monday by
//       default), month, quarter, year. Months and quarters have different lengths.
//   partition::local_day{zone}
//       Local calendar days: the id of a partition is the local date's day number since
//       1970-01-01, so a trading date in New York is a New York date, not a UTC one.
//
// Bound to ticks of one second or finer.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tsfill/calendar/time_zone.hpp>
#include <tsfill/detail/arith.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Ticks per second of a tick period, or an error naming `what`.
inline std::int64_t ticks_per_second(tick_period p, const char* what) {
  if (p.den % p.num != 0)
    throw invalid_argument(std::string(what) + " needs timestamps in ticks of one second or finer");
  return p.den / p.num;
}

// A zone's offset intervals scaled to ticks once, so the per-row lookups of local slots and
// days compare ticks directly (no division per row); built from the zone's own table.
struct zone_ticks {
  std::vector<std::int64_t> begin;   // per interval, ticks (INT64_MIN for the first)
  std::vector<std::int64_t> offset;  // per interval, ticks
  std::int64_t tps = 1;              // ticks per second
  time_zone zone;

  zone_ticks(const time_zone& z, std::int64_t ticks_per_second) : tps(ticks_per_second), zone(z) {
    for (const time_zone::interval& i : z.intervals()) {
      begin.push_back(i.begin == INT64_MIN ? INT64_MIN : i.begin * tps);
      offset.push_back(static_cast<std::int64_t>(i.offset) * tps);
    }
  }
  std::size_t at(std::int64_t t) const noexcept {
    return static_cast<std::size_t>(std::upper_bound(begin.begin() + 1, begin.end(), t) -
                                    begin.begin()) -
           1;
  }
  std::int64_t local(std::int64_t t) const noexcept { return t + offset[at(t)]; }
  // UTC ticks of a local time given in whole seconds (see time_zone::to_utc).
  std::int64_t utc_of_local_seconds(std::int64_t l) const noexcept { return zone.to_utc(l) * tps; }
};

}  // namespace detail

namespace slot {

// Local slots of a fixed width, bound to ticks. Slot ordinals count the boundaries, interval
// of constant offset by interval: C[i] ordinals come before interval i. Interval i starts with
// one extra boundary at its first instant (extra[i] = 1) when the clock jumped over a multiple
// to get there; its other boundaries are the local multiples from k_first[i] on.
class local_function {
 public:
  local_function(const detail::zone_ticks& z, std::int64_t width, std::int64_t origin)
      : z_(std::make_shared<const detail::zone_ticks>(z)), width_(width), origin_(origin) {
    const std::size_t n = z_->begin.size();
    k_first_.resize(n);
    count_before_.resize(n);
    extra_.resize(n);
    std::int64_t c = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i > 0) {
        const std::int64_t wall = z_->begin[i] + z_->offset[i] - origin_;  // first wall time
        k_first_[i] = detail::ceil_div(wall, width_);
        // Skipped wall times [wall - jump, wall): a multiple among them starts a slot here,
        // unless `wall` is itself a multiple (then k_first's boundary is this instant).
        const std::int64_t skipped_from = z_->begin[i] + z_->offset[i - 1] - origin_;
        extra_[i] = skipped_from < wall && detail::ceil_div(skipped_from, width_) * width_ < wall &&
                    detail::floor_mod(wall, width_) != 0;
      }
      count_before_[i] = c;
      if (i + 1 < n) {
        const std::int64_t k_last =
            detail::floor_div(z_->begin[i + 1] - 1 + z_->offset[i] - origin_, width_);
        c += extra_[i] + (k_last - k_first_[i] + 1);
      }
    }
  }
  std::int64_t ordinal(std::int64_t t) const noexcept {
    const std::size_t i = z_->at(t);
    // Before interval i's first multiple: its extra boundary, or the previous interval's last.
    return count_before_[i] + extra_[i] + detail::floor_div(t + z_->offset[i] - origin_, width_) -
           k_first_[i];
  }
  std::int64_t start(std::int64_t ordinal) const noexcept {
    const auto it = std::upper_bound(count_before_.begin(), count_before_.end(), ordinal);
    const std::size_t i =
        it == count_before_.begin() ? 0 : static_cast<std::size_t>(it - count_before_.begin()) - 1;
    const std::int64_t r = ordinal - count_before_[i];
    if (extra_[i] && r == 0) return z_->begin[i];
    return origin_ + (k_first_[i] + r - extra_[i]) * width_ - z_->offset[i];
  }

 private:
  std::shared_ptr<const detail::zone_ticks> z_;
  std::int64_t width_, origin_;
  std::vector<std::int64_t> k_first_, count_before_, extra_;
};

struct local {
  exact_duration width{};
  time_zone zone = time_zone::utc();
  // Local wall-clock time the slots are aligned to, as a duration after local 1970-01-01.
  exact_duration origin{};

  local_function bind(tick_period p) const {
    const std::int64_t w = width.ticks_or_throw(p, "slot::local::width");
    if (w <= 0)
      throw invalid_argument("slot::local::width must be positive, got " + width.to_string());
    return local_function(detail::zone_ticks(zone, detail::ticks_per_second(p, "slot::local")), w,
                          origin.ticks_or_throw(p, "slot::local::origin"));
  }
};

enum class calendar_unit { day, week, month, quarter, year };

// Months, quarters and years in local time, bound to ticks.
class calendar_function {
 public:
  calendar_function(const detail::zone_ticks& z, int months)
      : z_(std::make_shared<const detail::zone_ticks>(z)), months_(months) {}
  std::int64_t ordinal(std::int64_t t) const noexcept {
    using namespace std::chrono;
    const std::int64_t day = detail::floor_div(z_->local(t), 86'400 * z_->tps);
    const year_month_day ymd{sys_days{days{day}}};
    const std::int64_t index = (static_cast<int>(ymd.year()) - 1970) * 12 +
                               static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
    return detail::floor_div(index, months_);
  }
  std::int64_t start(std::int64_t ordinal) const noexcept {
    using namespace std::chrono;
    const std::int64_t index = ordinal * months_;  // months since 1970-01
    const auto y = static_cast<int>(1970 + detail::floor_div(index, 12));
    const auto m = static_cast<unsigned>(detail::floor_mod(index, 12) + 1);
    const sys_days first{year{y} / month{m} / 1};
    return z_->utc_of_local_seconds(first.time_since_epoch().count() * 86'400);
  }

 private:
  std::shared_ptr<const detail::zone_ticks> z_;
  int months_;
};

// Days and weeks are local slots of 1 and 7 days; months and longer are calendar_function.
struct calendar {
  calendar_unit unit = calendar_unit::day;
  time_zone zone = time_zone::utc();
  std::chrono::weekday week_start = std::chrono::Monday;

  // A variant-like bound function: the unit decides which kind.
  class function {
   public:
    explicit function(local_function f) : local_(std::move(f)) {}
    explicit function(calendar_function f) : calendar_(std::move(f)) {}
    std::int64_t ordinal(std::int64_t t) const noexcept {
      return local_ ? local_->ordinal(t) : calendar_->ordinal(t);
    }
    std::int64_t start(std::int64_t o) const noexcept {
      return local_ ? local_->start(o) : calendar_->start(o);
    }

   private:
    std::optional<local_function> local_;
    std::optional<calendar_function> calendar_;
  };

  function bind(tick_period p) const {
    const detail::zone_ticks z(zone, detail::ticks_per_second(p, "slot::calendar"));
    const std::int64_t day = 86'400 * z.tps;
    switch (unit) {
      case calendar_unit::day:
        return function(local_function(z, day, 0));
      case calendar_unit::week: {
        // 1970-01-01 was a Thursday: the first week start on or after it.
        const auto shift = static_cast<std::int64_t>((week_start - std::chrono::Thursday).count());
        return function(local_function(z, 7 * day, shift * day));
      }
      case calendar_unit::month:
        return function(calendar_function(z, 1));
      case calendar_unit::quarter:
        return function(calendar_function(z, 3));
      case calendar_unit::year:
        return function(calendar_function(z, 12));
    }
    throw invalid_argument("slot::calendar::unit is not a calendar unit");
  }
};

}  // namespace slot

namespace partition {

// Local calendar days, bound to ticks.
class local_day_function {
 public:
  static constexpr bool bounded = true;
  explicit local_day_function(const detail::zone_ticks& z)
      : z_(std::make_shared<const detail::zone_ticks>(z)) {}
  std::int64_t id(std::int64_t t) const noexcept {
    return detail::floor_div(z_->local(t), 86'400 * z_->tps);
  }
  std::int64_t begin(std::int64_t id) const noexcept {
    return z_->utc_of_local_seconds(id * 86'400);
  }
  std::int64_t end(std::int64_t id) const noexcept { return begin(id + 1); }
  const time_zone& zone() const noexcept { return z_->zone; }

 private:
  std::shared_ptr<const detail::zone_ticks> z_;
};

struct local_day {
  time_zone zone = time_zone::utc();

  local_day_function bind(tick_period p) const {
    return local_day_function(
        detail::zone_ticks(zone, detail::ticks_per_second(p, "partition::local_day")));
  }
};

}  // namespace partition
TSFILL_END_NAMESPACE
