// The small types that policies and the pipeline talk in. Users who only run pipelines
// rarely name them; users who write their own policies (see concepts.hpp) do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include <tsfill/detail/config.hpp>
#include <tsfill/time.hpp>

TSFILL_BEGIN_NAMESPACE

// How a cell of the output got its filled value. `missing` is 0, so a zeroed status array
// means "nothing known yet".
enum class cell_status : std::uint8_t {
  missing = 0,       // no value: nothing observed and nothing to fill from (or not allowed)
  observed = 1,      // an observation's value (after dedup)
  forward = 2,       // carried from an earlier slot (LOCF, or the earlier side of `nearest`)
  backward = 3,      // carried from a later slot (NOCB, or the later side of `nearest`)
  interpolated = 4,  // linear interpolation between two observations
  constant = 5,      // a constant from the fill policy
};
inline constexpr int cell_status_count = 6;

constexpr const char* to_string(cell_status s) noexcept {
  switch (s) {
    case cell_status::missing:
      return "missing";
    case cell_status::observed:
      return "observed";
    case cell_status::forward:
      return "forward";
    case cell_status::backward:
      return "backward";
    case cell_status::interpolated:
      return "interpolated";
    case cell_status::constant:
      return "constant";
  }
  return "?";
}

// An inclusive range of slot ordinals; empty when last < first.
struct slot_range {
  std::int64_t first = 0;
  std::int64_t last = -1;
  constexpr bool empty() const noexcept { return last < first; }
  constexpr std::int64_t size() const noexcept { return empty() ? 0 : last - first + 1; }
  constexpr bool contains(std::int64_t s) const noexcept { return first <= s && s <= last; }
  constexpr void include(std::int64_t s) noexcept {
    if (empty()) {
      first = last = s;
    } else {
      first = s < first ? s : first;
      last = s > last ? s : last;
    }
  }
  friend constexpr slot_range intersect(slot_range a, slot_range b) noexcept {
    return {a.first > b.first ? a.first : b.first, a.last < b.last ? a.last : b.last};
  }
  friend constexpr bool operator==(const slot_range&, const slot_range&) = default;
};

// --- dedup -------------------------------------------------------------------------------

// A row competing for a cell: its event time and its 0-based position in the input.
struct dedup_candidate {
  std::int64_t time;
  std::size_t row;
};

// What a row-selecting dedup policy decides when a second row arrives in an occupied cell.
enum class dedup_choice : std::uint8_t {
  keep,     // the incumbent stays
  replace,  // the candidate takes the cell
  reject,   // two rows in one cell are an error (dedup::reject)
};

// Dedup categories (a policy declares one as `using category = ...;`).
struct row_selection_tag {};    // choose a whole row per cell (last, first, reject)
struct value_selection_tag {};  // choose per column among non-null values (last_valid, ...)
struct aggregation_tag {};      // fold the non-null values per column (mean, min, ...)

// --- grid --------------------------------------------------------------------------------

// Which keys get cells in a partition.
enum class key_scope : std::uint8_t {
  partition,  // every key with at least one row in the partition
  all,        // every key of the input, in every partition
};

// What the pipeline knows about a partition when it asks a grid policy for slot ranges.
struct partition_info {
  std::int64_t id;    // partition id (consecutive integers, e.g. days since 1970-01-01)
  slot_range bounds;  // the slots whose start lies inside the partition
  slot_range data;    // the slots holding rows of this partition, over all keys
};

// Time functions a grid policy may need when it is bound (explicit ranges, sessions).
struct grid_context {
  tick_period ticks;
  std::function<std::int64_t(std::int64_t)> slot_of;          // ticks -> slot ordinal (floor)
  std::function<std::int64_t(std::int64_t)> slot_start;       // slot ordinal -> ticks
  std::function<std::int64_t(std::int64_t)> partition_of;     // ticks -> partition id
  std::function<std::int64_t(std::int64_t)> partition_begin;  // partition id -> ticks
};

// --- fill --------------------------------------------------------------------------------

// Where a fill may act: pandas' limit_area. A run of missing cells is "inside" when it has
// an observation on both sides within its segment, "outside" otherwise.
enum class limit_area : std::uint8_t { all, inside, outside };

// What distance linear interpolation and nearest use: slot positions or slot start times.
// The two agree on fixed-width dense grids; they differ on observed-only grids and on
// calendar slots (months have different lengths).
enum class axis : std::uint8_t { slot, time };

// The last observation of a key in an earlier partition, offered to fills that carry values
// into a partition (fill::forward{.carry_in = true}).
template <class T>
struct carried_value {
  T value;
  std::int64_t time;     // its slot's start, in ticks
  std::int64_t ordinal;  // its slot's ordinal
};

// result_column::source_times() of a cell whose value came from no observation (observed
// itself, interpolated, constant, or still missing).
inline constexpr std::int64_t no_source_time = INT64_MIN;

// One (partition, key) run of cells handed to a fill policy, for one value column.
// Observed cells have status `observed` and their value in `original`; missing cells have
// status `missing` and null_placeholder<T>() (NaN, or 0 for int64) in `original`. The fill writes
// every cell of `filled` (observed cells keep their value), updates `status` of the cells it
// fills, and, when `source_offset` is not null, stores for each forward/backward-filled cell how
// many slots away its value came from (positive: from an earlier slot).
template <class T>
struct fill_segment {
  const T* original;
  T* filled;
  cell_status* status;
  std::int32_t* source_offset;       // may be null
  const std::int64_t* slot_time;     // start time of each cell's slot, in ticks
  const std::int64_t* slot_ordinal;  // null on dense grids: cell i is slot first_ordinal + i
  std::int64_t first_ordinal;
  std::size_t size;
  // Only for fills that ask for it (see FillFunction's carries_in): the key's last
  // observation before this partition, or null.
  const carried_value<T>* carry_in = nullptr;
  // May be null. When not: for each forward/backward-filled cell, the slot start (ticks) of
  // the observation its value came from (inside the segment or carried in); no_source_time
  // for every other cell.
  std::int64_t* source_time = nullptr;

  constexpr std::int64_t ordinal(std::size_t i) const noexcept {
    return slot_ordinal != nullptr ? slot_ordinal[i] : first_ordinal + static_cast<std::int64_t>(i);
  }
};

TSFILL_END_NAMESPACE
