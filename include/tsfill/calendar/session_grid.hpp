// grid::session: each partition's slots come from a trading calendar, not from the data.
//
//   grid::session{calendar, zone}
//       Partitions must be local days in the same zone (partition::local_day{zone}). A date
//       with a session gets the slots starting in [open, close) local time (09:30-16:00 at
//       30 min: 13 slots; an early close at 13:00: 7); a date without one (holiday, weekend)
//       gets no rows at all. Every key seen on a date gets all of its slots (keys = all:
//       every key of the input, on every session date that holds rows).
//   Rows outside the session are dropped and counted (run_stats::rows_outside_grid), or,
//   with outside = keep, the date's grid is widened to cover them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include <tsfill/calendar/local_time.hpp>
#include <tsfill/calendar/trading_calendar.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace grid {

enum class outside_session { drop, keep };

class session_function {
 public:
  session_function(std::shared_ptr<const calendar::trading_calendar> cal, const grid_context& ctx,
                   const time_zone& zone, key_scope keys, outside_session outside)
      : cal_(std::move(cal)),
        ctx_(ctx),
        zone_(zone),
        keys_(keys),
        outside_(outside),
        tps_(detail::ticks_per_second(ctx.ticks, "grid::session")) {}

  key_scope keys() const noexcept { return keys_; }
  bool dense() const noexcept { return true; }
  slot_range partitions() const noexcept { return {}; }
  slot_range span(const partition_info& p, slot_range) const {
    slot_range r = session_slots(p.id);
    if (outside_ == outside_session::keep && !r.empty() && !p.data.empty()) {
      r.include(p.data.first);
      r.include(p.data.last);
    }
    return r;
  }
  // The session slots of a partition (local date), empty when there is no session.
  slot_range session_slots(std::int64_t day) const {
    const auto s = cal_->session(std::chrono::sys_days{std::chrono::days{day}});
    if (!s) return {};
    const std::int64_t open = zone_.to_utc(day * 86'400 + s->open * 60) * tps_;
    const std::int64_t close = zone_.to_utc(day * 86'400 + s->close * 60) * tps_;
    std::int64_t first = ctx_.slot_of(open);
    if (ctx_.slot_start(first) < open) ++first;
    return {first, ctx_.slot_of(close - 1)};
  }

 private:
  std::shared_ptr<const calendar::trading_calendar> cal_;
  grid_context ctx_;
  time_zone zone_;
  key_scope keys_;
  outside_session outside_;
  std::int64_t tps_;
};

struct session {
  calendar::trading_calendar calendar{};
  time_zone zone = time_zone::utc();
  key_scope keys = key_scope::partition;
  outside_session outside = outside_session::drop;

  session_function bind(const grid_context& ctx) const {
    // The partitions must be this zone's local days: check two dates (winter and summer).
    const std::int64_t tps = detail::ticks_per_second(ctx.ticks, "grid::session");
    for (const std::int64_t day :
         {std::int64_t{10'957}, std::int64_t{11'123}}) {  // 2000-01-01, 2000-06-15
      const std::int64_t noon = zone.to_utc(day * 86'400 + 12 * 3600) * tps;
      if (ctx.partition_of(noon) != day ||
          ctx.partition_begin(day) != zone.to_utc(day * 86'400) * tps)
        throw invalid_argument(
            "grid::session needs partitions by local day in its zone (partition::local_day{" +
            zone.name() + "})");
    }
    return {std::make_shared<const calendar::trading_calendar>(calendar), ctx, zone, keys, outside};
  }

  // The slot count this grid promises each local date under `slot` (for check_uniform): the
  // session's slots, or nothing when there is no session or rows outside it widen the day.
  template <class Slot>
  std::function<std::optional<std::size_t>(std::int64_t)> expected_slots(
      const Slot& slot, tick_period ticks = tick_period::of<std::chrono::nanoseconds>()) const {
    auto slot_fn = std::make_shared<const decltype(slot.bind(ticks))>(slot.bind(ticks));
    auto part_fn = std::make_shared<const decltype(partition::local_day{zone}.bind(ticks))>(
        partition::local_day{zone}.bind(ticks));
    const grid_context ctx{ticks, [slot_fn](std::int64_t t) { return slot_fn->ordinal(t); },
                           [slot_fn](std::int64_t s) { return slot_fn->start(s); },
                           [part_fn](std::int64_t t) { return part_fn->id(t); },
                           [part_fn](std::int64_t id) { return part_fn->begin(id); }};
    const auto fn = std::make_shared<const session_function>(bind(ctx));
    const bool widened = outside == outside_session::keep;
    return [fn, widened](std::int64_t day) -> std::optional<std::size_t> {
      const slot_range r = fn->session_slots(day);
      if (widened || r.empty()) return std::nullopt;
      return static_cast<std::size_t>(r.size());
    };
  }
};

}  // namespace grid
TSFILL_END_NAMESPACE
