// IWYU pragma: private, include <tsfill/policies/fill.hpp>
// The general gap-fill kernel: walks the runs of missing cells of one segment and fills
// each run according to the method and its limits. O(n) per segment, no allocation.
// The fast forward/backward kernels (locf.hpp) handle the common case without options;
// this one handles every option and is the behaviour they must match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE

namespace detail {

enum class gap_method : std::uint8_t { forward, backward, nearest, linear, constant };

// Bound limits of a fill, in slots and ticks; "no limit" is INT64_MAX.
struct gap_limits {
  std::int64_t limit = INT64_MAX;
  std::int64_t max_age = INT64_MAX;
  limit_area area = limit_area::all;
  bool all_or_nothing = false;
  axis by = axis::slot;

  constexpr bool unlimited() const noexcept {
    return limit == INT64_MAX && max_age == INT64_MAX && area == limit_area::all && !all_or_nothing;
  }
};

// Linear interpolation at x between (x0, y0) and (x1, y1), x0 < x < x1. Floating types
// compute in double; int64 rounds the exact rational result half away from zero.
template <class T>
inline T interpolate(T y0, T y1, std::int64_t x0, std::int64_t x, std::int64_t x1) noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    const double frac = static_cast<double>(x - x0) / static_cast<double>(x1 - x0);
    const double d0 = static_cast<double>(y0);
    return static_cast<T>(d0 + (static_cast<double>(y1) - d0) * frac);
  } else {
    const int128 num = (static_cast<int128>(y1) - y0) * (static_cast<int128>(x) - x0);
    const int128 den = static_cast<int128>(x1) - x0;
    int128 q = num / den;
    const int128 r = num % den;
    // Round half away from zero: |r| * 2 >= den moves q one step away from zero.
    if ((r < 0 ? -r : r) * 2 >= den) q += (num < 0 ? -1 : 1);
    return static_cast<T>(static_cast<int128>(y0) + q);
  }
}

template <class T>
class gap_filler {
 public:
  gap_filler(const fill_segment<T>& seg, gap_method method, const gap_limits& lim, T constant)
      : s_(seg), method_(method), lim_(lim), constant_(constant) {}

  void run() const {
    const std::size_t n = s_.size;
    std::size_t i = 0;
    while (i < n) {
      if (s_.status[i] == cell_status::observed) {
        s_.filled[i] = s_.original[i];
        if (s_.source_offset != nullptr) s_.source_offset[i] = 0;
        if (s_.source_time != nullptr) s_.source_time[i] = no_source_time;
        ++i;
        continue;
      }
      std::size_t b = i;
      while (b + 1 < n && s_.status[b + 1] != cell_status::observed) ++b;
      fill_run(i, b);
      i = b + 1;
    }
  }

 private:
  struct choice {
    bool ok;
    T value;
    cell_status status;
    std::int32_t offset;
    std::int64_t from_time = no_source_time;  // the source observation's slot start
  };

  std::int64_t pos(std::size_t i) const noexcept {
    return lim_.by == axis::slot ? s_.ordinal(i) : s_.slot_time[i];
  }

  // One missing run [a, b]; prev = a-1 and next = b+1 are observed when they exist. A
  // leading run may have a value carried in from an earlier partition instead of a prev
  // (only forward fills are handed one).
  void fill_run(std::size_t a, std::size_t b) const {
    const bool has_prev = a > 0 || s_.carry_in != nullptr;
    const bool has_next = b + 1 < s_.size;
    const bool inside = has_prev && has_next;
    const bool area_ok = lim_.area == limit_area::all ||
                         (lim_.area == limit_area::inside && inside) ||
                         (lim_.area == limit_area::outside && !inside);
    if (area_ok && lim_.all_or_nothing) {
      for (std::size_t i = a; i <= b; ++i) {
        if (!decide(i, a, b, has_prev, has_next).ok) {
          mark_missing(a, b);
          return;
        }
      }
    }
    for (std::size_t i = a; i <= b; ++i) {
      const choice c = area_ok ? decide(i, a, b, has_prev, has_next)
                               : choice{false, null_placeholder<T>(), cell_status::missing, 0};
      if (c.ok) {
        s_.filled[i] = c.value;
        s_.status[i] = c.status;
        if (s_.source_offset != nullptr) s_.source_offset[i] = c.offset;
        if (s_.source_time != nullptr) s_.source_time[i] = c.from_time;
      } else {
        s_.filled[i] = null_placeholder<T>();
        if (s_.source_offset != nullptr) s_.source_offset[i] = 0;
        if (s_.source_time != nullptr) s_.source_time[i] = no_source_time;
      }
    }
  }

  void mark_missing(std::size_t a, std::size_t b) const {
    for (std::size_t i = a; i <= b; ++i) {
      s_.filled[i] = null_placeholder<T>();
      if (s_.source_offset != nullptr) s_.source_offset[i] = 0;
      if (s_.source_time != nullptr) s_.source_time[i] = no_source_time;
    }
  }

  choice from(std::size_t i, std::size_t src, cell_status st) const {
    const std::int64_t slots = s_.ordinal(i) - s_.ordinal(src);  // > 0 from the past
    const std::int64_t ticks = s_.slot_time[i] - s_.slot_time[src];
    const std::int64_t slot_dist = slots < 0 ? -slots : slots;
    const std::int64_t age = ticks < 0 ? -ticks : ticks;
    const bool ok = slot_dist <= lim_.limit && age <= lim_.max_age;
    return {ok, s_.original[src], st, static_cast<std::int32_t>(slots), s_.slot_time[src]};
  }

  // The value carried into the partition, for cell i of a leading run.
  choice carried(std::size_t i) const {
    const carried_value<T>& c = *s_.carry_in;
    const std::int64_t slots = s_.ordinal(i) - c.ordinal;
    const std::int64_t age = s_.slot_time[i] - c.time;
    const bool ok = slots <= lim_.limit && age <= lim_.max_age;
    return {ok, c.value, cell_status::forward, static_cast<std::int32_t>(slots), c.time};
  }

  choice decide(std::size_t i, std::size_t a, std::size_t b, bool has_prev, bool has_next) const {
    const choice none{false, null_placeholder<T>(), cell_status::missing, 0};
    switch (method_) {
      case gap_method::forward:
        if (a == 0 && has_prev) return carried(i);
        return has_prev ? from(i, a - 1, cell_status::forward) : none;
      case gap_method::backward:
        return has_next ? from(i, b + 1, cell_status::backward) : none;
      case gap_method::nearest: {
        if (!has_prev && !has_next) return none;
        bool take_prev = has_prev;
        if (has_prev && has_next) take_prev = pos(i) - pos(a - 1) <= pos(b + 1) - pos(i);
        return take_prev ? from(i, a - 1, cell_status::forward)
                         : from(i, b + 1, cell_status::backward);
      }
      case gap_method::linear: {
        if (!(has_prev && has_next)) return none;
        const std::size_t p = a - 1, q = b + 1;
        const bool ok = s_.ordinal(i) - s_.ordinal(p) <= lim_.limit &&
                        s_.slot_time[i] - s_.slot_time[p] <= lim_.max_age &&
                        s_.slot_time[q] - s_.slot_time[i] <= lim_.max_age;
        return {ok, interpolate(s_.original[p], s_.original[q], pos(p), pos(i), pos(q)),
                cell_status::interpolated, 0};
      }
      case gap_method::constant: {
        const bool ok = s_.ordinal(i) - s_.ordinal(a) < lim_.limit;
        return {ok, constant_, cell_status::constant, 0};
      }
    }
    return none;
  }

  const fill_segment<T>& s_;
  gap_method method_;
  gap_limits lim_;
  T constant_;
};

template <class T>
inline void fill_gaps(const fill_segment<T>& seg, gap_method method, const gap_limits& lim,
                      T constant = T{}) {
  gap_filler<T>(seg, method, lim, constant).run();
}

}  // namespace detail
TSFILL_END_NAMESPACE
