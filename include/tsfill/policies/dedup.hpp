// Dedup policies: what one cell (key, slot) holds when several rows fall into it.
//
// Row selection: one whole row wins the cell; its values, nulls included, go to the grid.
//   dedup::last     the latest row by event time; on equal times the row later in the
//                   input wins. The reference scenario's rule and the default.
//   dedup::first    the earliest row by event time; on equal times the row earlier in the
//                   input wins.
//   dedup::reject   two rows in one cell throw tsfill::duplicate_error naming the key, the
//                   slot and both rows. Use when duplicates mean the feed is broken.
// Value selection (per column, among non-null values only):
//   dedup::last_valid   per column, the latest non-null value in the slot (nulls never
//                       overwrite a value); ties as in dedup::last.
//   dedup::first_valid  per column, the earliest non-null value in the slot.
// Aggregation (per column, over the non-null values; a cell whose rows are all null is null,
// except for count, which is 0):
//   dedup::mean     arithmetic mean (double for int64 columns, the column's type otherwise)
//   dedup::min, dedup::max, dedup::sum   NaN is a value and wins (propagates)
//   dedup::count    the number of non-null values (an int64 column)
//
// Public customization points in this file: a row or value selection policy provides
// `dedup_choice choose(const dedup_candidate& incumbent, const dedup_candidate& candidate)`;
// an aggregation policy provides `template <class T> struct accumulator` with `add(T)`,
// `value()` and `using result_type`. The pipeline offers rows to a cell in input order.
// See concepts.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include <tsfill/detail/config.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {
template <class T, bool Max>
struct extremum {
  using result_type = T;
  T best{};
  bool any = false;
  constexpr void add(T v) noexcept {
    if constexpr (std::is_floating_point_v<T>) {
      if (any && std::isnan(best)) return;  // NaN already won
      if (std::isnan(v)) {
        best = v;
        any = true;
        return;
      }
    }
    if (!any || (Max ? v > best : v < best)) best = v;
    any = true;
  }
  constexpr bool has_value() const noexcept { return any; }
  constexpr T value() const noexcept { return best; }
};
}  // namespace detail

namespace dedup {

struct last {
  using category = row_selection_tag;
  constexpr dedup_choice choose(const dedup_candidate& incumbent,
                                const dedup_candidate& candidate) const noexcept {
    // Rows arrive in input order, so on equal times the candidate is the later row.
    return candidate.time >= incumbent.time ? dedup_choice::replace : dedup_choice::keep;
  }
};

struct first {
  using category = row_selection_tag;
  constexpr dedup_choice choose(const dedup_candidate& incumbent,
                                const dedup_candidate& candidate) const noexcept {
    return candidate.time < incumbent.time ? dedup_choice::replace : dedup_choice::keep;
  }
};

struct reject {
  using category = row_selection_tag;
  constexpr dedup_choice choose(const dedup_candidate&, const dedup_candidate&) const noexcept {
    return dedup_choice::reject;
  }
};

// The same order as last / first, applied per column to the non-null values only.
struct last_valid {
  using category = value_selection_tag;
  constexpr dedup_choice choose(const dedup_candidate& incumbent,
                                const dedup_candidate& candidate) const noexcept {
    return last{}.choose(incumbent, candidate);
  }
};

struct first_valid {
  using category = value_selection_tag;
  constexpr dedup_choice choose(const dedup_candidate& incumbent,
                                const dedup_candidate& candidate) const noexcept {
    return first{}.choose(incumbent, candidate);
  }
};

struct mean {
  using category = aggregation_tag;
  template <class T>
  struct accumulator {
    using result_type = std::conditional_t<std::is_same_v<T, float>, float, double>;
    double sum = 0;
    std::int64_t n = 0;
    constexpr void add(T v) noexcept {
      sum += static_cast<double>(v);
      ++n;
    }
    constexpr bool has_value() const noexcept { return n > 0; }
    constexpr result_type value() const noexcept {
      return static_cast<result_type>(sum / static_cast<double>(n));
    }
  };
};

struct min {
  using category = aggregation_tag;
  template <class T>
  using accumulator = detail::extremum<T, false>;
};

struct max {
  using category = aggregation_tag;
  template <class T>
  using accumulator = detail::extremum<T, true>;
};

struct sum {
  using category = aggregation_tag;
  template <class T>
  struct accumulator {
    using result_type = T;
    // int64 sums wrap around on overflow like unsigned arithmetic, never UB.
    T total{};
    bool any = false;
    constexpr void add(T v) noexcept {
      if constexpr (std::is_integral_v<T>) {
        total = static_cast<T>(static_cast<std::uint64_t>(total) + static_cast<std::uint64_t>(v));
      } else {
        total += v;
      }
      any = true;
    }
    constexpr bool has_value() const noexcept { return any; }
    constexpr T value() const noexcept { return total; }
  };
};

struct count {
  using category = aggregation_tag;
  // Accumulators exist only for cells with rows, so a cell with rows always has a count
  // (0 when all of its values are null).
  template <class T>
  struct accumulator {
    using result_type = std::int64_t;
    std::int64_t n = 0;
    constexpr void add(T) noexcept { ++n; }
    constexpr bool has_value() const noexcept { return true; }
    constexpr std::int64_t value() const noexcept { return n; }
  };
};

}  // namespace dedup
TSFILL_END_NAMESPACE
