// Grid policies: which slots each key gets in each partition.
//
//   grid::partition_span   (default) per partition, the slots from the first to the last
//                          slot holding any row of any key; every key seen in the partition
//                          gets all of them, so slot counts are uniform within a partition.
//   grid::key_span         per partition and key, that key's own first..last slot.
//   grid::range{start, end}
//                          the slots starting in [start, end), cut by the partitions; every
//                          key of the input gets every slot of every partition of the range,
//                          including partitions without rows. Rows outside are dropped (and
//                          counted in run_stats::rows_outside_grid).
//   grid::observed         only the slots holding a row of that key (no new cells): dedup and
//                          fill the nulls of the observations, without densifying.
//
// Session grids from an exchange calendar live in the calendar component.
//
// Public customization point: a grid policy provides `bind(const grid_context&)` returning
// an object with `keys()`, `dense()`, `partitions()` and `span(partition, key_data)`; see
// concepts.hpp.
#pragma once

#include <cstdint>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace grid {

// A bound grid whose slot ranges come from the data.
template <key_scope Scope, bool Dense, bool PerKey>
struct data_span_function {
  constexpr key_scope keys() const noexcept { return Scope; }
  constexpr bool dense() const noexcept { return Dense; }
  // No partitions beyond those holding rows.
  constexpr slot_range partitions() const noexcept { return {}; }
  constexpr slot_range span(const partition_info& p, slot_range key_data) const noexcept {
    return PerKey ? key_data : p.data;
  }
};

struct partition_span {
  constexpr data_span_function<key_scope::partition, true, false> bind(
      const grid_context&) const noexcept {
    return {};
  }
};

struct key_span {
  constexpr data_span_function<key_scope::partition, true, true> bind(
      const grid_context&) const noexcept {
    return {};
  }
};

struct observed {
  constexpr data_span_function<key_scope::partition, false, true> bind(
      const grid_context&) const noexcept {
    return {};
  }
};

// A bound explicit range.
class range_function {
 public:
  constexpr range_function(slot_range slots, slot_range partition_ids) noexcept
      : slots_(slots), partition_ids_(partition_ids) {}
  constexpr key_scope keys() const noexcept { return key_scope::all; }
  constexpr bool dense() const noexcept { return true; }
  constexpr slot_range partitions() const noexcept { return partition_ids_; }
  constexpr slot_range span(const partition_info& p, slot_range) const noexcept {
    return intersect(slots_, p.bounds);
  }

 private:
  slot_range slots_;
  slot_range partition_ids_;
};

struct range {
  instant start{};
  instant end{};

  range_function bind(const grid_context& ctx) const {
    const std::int64_t s = start.ticks_or_throw(ctx.ticks, "grid::range::start");
    const std::int64_t e = end.ticks_or_throw(ctx.ticks, "grid::range::end");
    if (e <= s)
      throw invalid_argument("grid::range::end must be after grid::range::start (got start " +
                             start.since_epoch().to_string() + ", end " +
                             end.since_epoch().to_string() + " since the epoch)");
    std::int64_t first = ctx.slot_of(s);
    if (ctx.slot_start(first) < s) ++first;
    const std::int64_t last = ctx.slot_of(e - 1);
    if (last < first) return {{}, {}};  // no slot starts inside the range
    return {{first, last},
            {ctx.partition_of(ctx.slot_start(first)), ctx.partition_of(ctx.slot_start(last))}};
  }
};

}  // namespace grid
TSFILL_END_NAMESPACE
