// Fill policies: what a missing cell of the grid gets. Each works inside one (partition,
// key) run of cells and never reaches across a partition or a key.
//
//   fill::forward    last observation carried forward (LOCF): the latest non-null value of
//                    an earlier slot. The reference scenario's fill and the default.
//   fill::backward   next observation carried backward (NOCB).
//   fill::linear     linear interpolation between the observations on both sides, by slot
//                    position (axis::slot, the default) or by slot start time (axis::time).
//                    Never extrapolates: leading and trailing gaps stay missing.
//   fill::nearest    the value of the nearer observation (by slot or time); ties go to the
//                    earlier one.
//   fill::constant   a fixed value.
//   fill::none       no fill: the filled column equals the original.
//   fill::any        any of the above, chosen at run time (e.g. one per column).
//
// Options (on every policy that can use them):
//   limit            fill at most this many slots away from the source observation (for
//                    constant: at most this many slots from the start of each gap)
//   max_age          never fill from an observation more than this much time away
//   area             limit_area::all (default), ::inside (gaps with observations on both
//                    sides), ::outside (leading and trailing gaps)
//   all_or_nothing   fill a gap only if every cell of it can be filled within limit and
//                    max_age; otherwise leave the whole gap missing (needs limit or max_age)
//
// Public customization point: a fill policy provides `bind(tick_period)` returning an object
// with `template <class T> void fill(const fill_segment<T>&) const`; see concepts.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/gap_fill.hpp>
#include <tsfill/detail/kernels/locf.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {
inline gap_limits bind_limits(const char* policy, std::optional<std::int64_t> limit,
                              const std::optional<exact_duration>& max_age, limit_area area,
                              bool all_or_nothing, axis by, tick_period p) {
  gap_limits lim;
  lim.area = area;
  lim.all_or_nothing = all_or_nothing;
  lim.by = by;
  if (limit) {
    if (*limit <= 0)
      throw invalid_argument(std::string(policy) + "::limit must be positive, got " +
                             std::to_string(*limit));
    lim.limit = *limit;
  }
  if (max_age) {
    const std::string what = std::string(policy) + "::max_age";
    const std::int64_t t = max_age->ticks_or_throw(p, what.c_str());
    if (t <= 0) throw invalid_argument(what + " must be positive, got " + max_age->to_string());
    lim.max_age = t;
  }
  if (all_or_nothing && !limit && !max_age)
    throw invalid_argument(std::string(policy) +
                           "::all_or_nothing needs a limit or a max_age to judge gaps by");
  return lim;
}
}  // namespace detail

namespace fill {

// A bound built-in fill: a method plus limits in ticks.
// Made only by the built-in policies' bind() (its parts are the engine's, not the API's).
class gap_function {
 public:
  // Whether this fill takes a key's last observation from earlier partitions
  // (fill_segment::carry_in).
  bool carries_in() const noexcept { return carry_in_; }

  template <class T>
  void fill(const fill_segment<T>& seg) const {
    // Without limits or sources to record, LOCF and NOCB are the branch-free SIMD kernels.
    if (limits_.unlimited() && seg.source_offset == nullptr && seg.source_time == nullptr) {
      if (method_ == detail::gap_method::forward) {
        detail::fill_state<T> st;
        if (seg.carry_in) st = {seg.carry_in->value, true};
        return detail::forward_fill_status(isa_, seg.original, seg.filled, seg.status, seg.size,
                                           st);
      }
      if (method_ == detail::gap_method::backward)
        return detail::backward_fill_status(isa_, seg.original, seg.filled, seg.status, seg.size);
    }
    detail::fill_gaps(seg, method_, limits_, static_cast<T>(constant_));
  }

  // A constant must be representable in the column's type.
  void check_column(value_type type, const std::string& column) const {
    if (method_ != detail::gap_method::constant || type != value_type::int64) return;
    if (!(std::trunc(constant_) == constant_ && constant_ >= -9.2233720368547758e18 &&
          constant_ < 9.2233720368547758e18))
      throw invalid_argument("fill::constant::value " + std::to_string(constant_) +
                             " is not an integer, but column '" + column + "' is int64");
  }

 private:
  friend struct forward;
  friend struct backward;
  friend struct linear;
  friend struct nearest;
  friend struct constant;

  gap_function(detail::gap_method method, detail::gap_limits limits, double constant = 0,
               bool carry_in = false)
      : method_(method),
        limits_(limits),
        constant_(constant),
        isa_(detail::active_isa()),
        carry_in_(carry_in) {}

  detail::gap_method method_;
  detail::gap_limits limits_;
  double constant_;
  detail::isa isa_;  // chosen once, when the policy is bound
  bool carry_in_;
};

struct forward {
  std::optional<std::int64_t> limit{};
  std::optional<exact_duration> max_age{};
  limit_area area = limit_area::all;
  bool all_or_nothing = false;
  // Carry a key's last observation from earlier partitions into the leading gap of the next
  // (subject to limit and max_age; a carried value makes the gap an inside one). Off by
  // default: nothing crosses a partition.
  bool carry_in = false;

  gap_function bind(tick_period p) const {
    return {
        detail::gap_method::forward,
        detail::bind_limits("fill::forward", limit, max_age, area, all_or_nothing, axis::slot, p),
        0, carry_in};
  }
};

struct backward {
  std::optional<std::int64_t> limit{};
  std::optional<exact_duration> max_age{};
  limit_area area = limit_area::all;
  bool all_or_nothing = false;

  gap_function bind(tick_period p) const {
    return {detail::gap_method::backward, detail::bind_limits("fill::backward", limit, max_age,
                                                              area, all_or_nothing, axis::slot, p)};
  }
};

struct linear {
  axis by = axis::slot;
  std::optional<std::int64_t> limit{};
  std::optional<exact_duration> max_age{};
  limit_area area = limit_area::all;
  bool all_or_nothing = false;

  gap_function bind(tick_period p) const {
    if (area == limit_area::outside)
      throw invalid_argument(
          "fill::linear::area = outside fills nothing: linear interpolation never "
          "extrapolates past the first or last observation");
    return {detail::gap_method::linear,
            detail::bind_limits("fill::linear", limit, max_age, area, all_or_nothing, by, p)};
  }
};

struct nearest {
  axis by = axis::slot;
  std::optional<std::int64_t> limit{};
  std::optional<exact_duration> max_age{};
  limit_area area = limit_area::all;
  bool all_or_nothing = false;

  gap_function bind(tick_period p) const {
    return {detail::gap_method::nearest,
            detail::bind_limits("fill::nearest", limit, max_age, area, all_or_nothing, by, p)};
  }
};

struct constant {
  double value = 0;
  std::optional<std::int64_t> limit{};
  limit_area area = limit_area::all;
  bool all_or_nothing = false;

  gap_function bind(tick_period p) const {
    // NaN and infinity are legitimate constants for floating columns; check_column
    // rejects them (and fractions) for int64 columns.
    return {detail::gap_method::constant,
            detail::bind_limits("fill::constant", limit, std::nullopt, area, all_or_nothing,
                                axis::slot, p),
            value};
  }
};

// No fill: the filled column is the original.
class none_function {
 public:
  template <class T>
  void fill(const fill_segment<T>& seg) const noexcept {
    for (std::size_t i = 0; i < seg.size; ++i) {
      seg.filled[i] = seg.original[i];
      if (seg.source_offset != nullptr) seg.source_offset[i] = 0;
      if (seg.source_time != nullptr) seg.source_time[i] = no_source_time;
    }
  }
};

struct none {
  constexpr none_function bind(tick_period) const noexcept { return {}; }
};

// Any built-in fill, chosen at run time.
class any {
 public:
  using alternatives = std::variant<forward, backward, linear, nearest, constant, none>;

  any() = default;
  template <class F>
  requires std::is_constructible_v<alternatives, F> any(F f)
      : v_(std::move(f)) {}  // NOLINT: implicit, so `fill::any x = fill::linear{};`

  const alternatives& get() const noexcept { return v_; }

  class function {
   public:
    explicit function(std::variant<gap_function, none_function> f) : f_(std::move(f)) {}
    template <class T>
    void fill(const fill_segment<T>& seg) const {
      std::visit([&](const auto& f) { f.fill(seg); }, f_);
    }
    void check_column(value_type type, const std::string& column) const {
      if (const auto* g = std::get_if<gap_function>(&f_)) g->check_column(type, column);
    }
    bool carries_in() const noexcept {
      const auto* g = std::get_if<gap_function>(&f_);
      return g && g->carries_in();
    }

   private:
    std::variant<gap_function, none_function> f_;
  };

  function bind(tick_period p) const {
    return std::visit(
        [&](const auto& policy) {
          return function(std::variant<gap_function, none_function>(policy.bind(p)));
        },
        v_);
  }

 private:
  alternatives v_{forward{}};
};

}  // namespace fill
TSFILL_END_NAMESPACE
