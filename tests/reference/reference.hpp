// A slow, obviously-correct reference implementation of the whole pipeline, used as the
// oracle of the differential tests. It shares no code with the library: it works row by
// row with std::map, scans for neighbours cell by cell, and spells every rule out the way
// the documentation states it. Timestamps are plain integer ticks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace ref {

using i64 = std::int64_t;
__extension__ using i128 = __int128;

enum class dedup { last, first, reject, last_valid, first_valid, mean, min, max, sum, count };
enum class grid { partition_span, key_span, range, observed };
enum class method { forward, backward, linear, nearest, constant, none };
enum class area { all, inside, outside };
enum class status { missing, observed, forward, backward, interpolated, constant };

struct fill_spec {
  method m = method::forward;
  std::optional<i64> limit;    // slots
  std::optional<i64> max_age;  // ticks
  area a = area::all;
  bool all_or_nothing = false;
  bool by_time = false;  // linear / nearest axis
  double constant = 0;
  bool carry_in = false;  // forward: the key's last observation in earlier partitions
};

struct config {
  i64 slot_width = 1800;  // ticks
  i64 slot_anchor = 0;    // ticks; slots start at anchor + k * width
  bool partition_by_day = true;
  i64 day = 86400;     // ticks per day
  i64 day_offset = 0;  // ticks
  dedup d = dedup::last;
  grid g = grid::partition_span;
  i64 range_start = 0, range_end = 0;  // ticks, [start, end)
  bool nan_is_null = false;
};

// Mathematical floor division, written with 128-bit integers and no cleverness.
inline i64 floor_div(i64 a, i64 b) {
  i128 q = static_cast<i128>(a) / b;
  if (static_cast<i128>(q) * b > a) q -= 1;
  return static_cast<i64>(q);
}

inline i64 slot_start(const config& c, i64 t) {
  return c.slot_anchor + floor_div(t - c.slot_anchor, c.slot_width) * c.slot_width;
}
inline i64 partition_of_start(const config& c, i64 start) {
  return c.partition_by_day ? floor_div(start - c.day_offset, c.day) : 0;
}

template <class T>
struct row {
  i64 t;
  std::vector<i64> key;
  std::optional<T> value;  // nullopt = null
};

template <class T>
struct cell {
  i64 partition;
  std::vector<i64> key;
  i64 slot;                   // slot start time
  std::optional<T> original;  // after dedup
  std::optional<T> filled;
  status st = status::missing;
  i64 source_offset = 0;           // in slots, positive from the past (forward/backward/nearest)
  std::optional<i64> source_slot;  // the slot start of the observation it was filled from
};

struct duplicate_rejected {};

template <class T>
bool usable(const std::optional<T>& v, bool nan_is_null) {
  if (!v) return false;
  if constexpr (std::is_floating_point_v<T>) {
    if (nan_is_null && std::isnan(*v)) return false;
  }
  return true;
}

// Output type under each dedup rule: mean of int64 is double, count is int64.
template <class T>
struct out_types {
  using mean = std::conditional_t<std::is_same_v<T, float>, float, double>;
};

// Dedup of the rows of one cell (in input order) into one optional value of type R.
template <class R, class T>
std::optional<R> dedup_cell(const config& c,
                            const std::vector<std::pair<std::size_t, row<T>>>& rows) {
  auto by_last = [](const auto& a, const auto& b) {  // is a before b in "latest" order?
    return std::tie(a.second.t, a.first) < std::tie(b.second.t, b.first);
  };
  auto by_first = [](const auto& a, const auto& b) {
    return std::tie(a.second.t, a.first) < std::tie(b.second.t, b.first);
  };
  std::vector<std::pair<std::size_t, row<T>>> valid;
  for (const auto& r : rows)
    if (usable(r.second.value, c.nan_is_null)) valid.push_back(r);
  switch (c.d) {
    case dedup::reject:
      if (rows.size() > 1) throw duplicate_rejected{};
      [[fallthrough]];
    case dedup::last: {
      const auto& w = *std::max_element(rows.begin(), rows.end(), by_last);
      if (!usable(w.second.value, c.nan_is_null)) return std::nullopt;
      return static_cast<R>(*w.second.value);
    }
    case dedup::first: {
      const auto& w = *std::min_element(rows.begin(), rows.end(), by_first);
      if (!usable(w.second.value, c.nan_is_null)) return std::nullopt;
      return static_cast<R>(*w.second.value);
    }
    case dedup::last_valid:
      if (valid.empty()) return std::nullopt;
      return static_cast<R>(*std::max_element(valid.begin(), valid.end(), by_last)->second.value);
    case dedup::first_valid:
      if (valid.empty()) return std::nullopt;
      return static_cast<R>(*std::min_element(valid.begin(), valid.end(), by_first)->second.value);
    case dedup::mean: {
      if (valid.empty()) return std::nullopt;
      double s = 0;
      for (const auto& r : valid) s += static_cast<double>(*r.second.value);
      return static_cast<R>(s / static_cast<double>(valid.size()));
    }
    case dedup::min:
    case dedup::max: {
      if (valid.empty()) return std::nullopt;
      T best = *valid[0].second.value;
      for (const auto& r : valid) {
        const T v = *r.second.value;
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(v) || std::isnan(best)) {
            best = std::numeric_limits<T>::quiet_NaN();
            continue;
          }
        }
        if (c.d == dedup::min ? v < best : v > best) best = v;
      }
      return static_cast<R>(best);
    }
    case dedup::sum: {
      if (valid.empty()) return std::nullopt;
      T s{};
      for (const auto& r : valid) {
        if constexpr (std::is_integral_v<T>) {
          s = static_cast<T>(static_cast<std::uint64_t>(s) +
                             static_cast<std::uint64_t>(*r.second.value));
        } else {
          s += *r.second.value;
        }
      }
      return static_cast<R>(s);
    }
    case dedup::count:
      return static_cast<R>(valid.size());
  }
  return std::nullopt;
}

// Linear interpolation, the textbook formula.
template <class T>
T lerp(T y0, T y1, i64 x0, i64 x, i64 x1) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(static_cast<double>(y0) +
                          (static_cast<double>(y1) - static_cast<double>(y0)) *
                              (static_cast<double>(x - x0) / static_cast<double>(x1 - x0)));
  } else {
    // Exact rational value, rounded half away from zero.
    const i128 num = (static_cast<i128>(y1) - y0) * (static_cast<i128>(x) - x0);
    const i128 den = static_cast<i128>(x1) - x0;
    const long double exact = static_cast<long double>(num) / static_cast<long double>(den);
    i128 q = num / den;  // truncates toward zero
    const i128 twice_rem = 2 * (num - q * den);
    if (twice_rem >= den || -twice_rem >= den) q += (exact < 0 ? -1 : 1);
    return static_cast<T>(y0 + q);
  }
}

// Fills the cells of one (partition, key) run, cell by cell. `earlier` is the key's last
// observation in an earlier partition (value, slot start), for forward fills with carry_in.
template <class T>
void fill_run(std::vector<cell<T>*>& cells, const fill_spec& f, i64 slot_width,
              const std::optional<std::pair<T, i64>>& earlier = std::nullopt) {
  const std::size_t n = cells.size();
  auto ord = [&](std::size_t i) { return floor_div(cells[i]->slot, slot_width); };
  auto observed = [&](std::size_t i) { return cells[i]->st == status::observed; };

  struct decision {
    bool ok = false;
    T value{};
    status st = status::missing;
    i64 offset = 0;
    std::optional<i64> from;
  };
  auto decide = [&](std::size_t i) -> decision {
    std::optional<std::size_t> prev, next;
    for (std::size_t j = i; j-- > 0;)
      if (observed(j)) {
        prev = j;
        break;
      }
    for (std::size_t j = i + 1; j < n; ++j)
      if (observed(j)) {
        next = j;
        break;
      }
    const bool carried = !prev && earlier && f.m == method::forward && f.carry_in;
    const bool inside = (prev || carried) && next;
    if (f.a == area::inside && !inside) return {};
    if (f.a == area::outside && inside) return {};
    const i64 lim = f.limit.value_or(std::numeric_limits<i64>::max());
    const i64 age = f.max_age.value_or(std::numeric_limits<i64>::max());
    auto carry = [&](std::size_t src, status st) -> decision {
      const i64 dslots = ord(i) - ord(src);
      const i64 dtime = cells[i]->slot - cells[src]->slot;
      if (std::llabs(dslots) > lim || std::llabs(dtime) > age) return {};
      return {true, *cells[src]->original, st, dslots, cells[src]->slot};
    };
    auto pos = [&](std::size_t j) { return f.by_time ? cells[j]->slot : ord(j); };
    switch (f.m) {
      case method::none:
        return {};
      case method::forward:
        if (carried) {
          const i64 dslots = ord(i) - floor_div(earlier->second, slot_width);
          const i64 dtime = cells[i]->slot - earlier->second;
          if (dslots > lim || dtime > age) return {};
          return {true, earlier->first, status::forward, dslots, earlier->second};
        }
        return prev ? carry(*prev, status::forward) : decision{};
      case method::backward:
        return next ? carry(*next, status::backward) : decision{};
      case method::nearest:
        if (prev && (!next || pos(i) - pos(*prev) <= pos(*next) - pos(i)))
          return carry(*prev, status::forward);
        if (next) return carry(*next, status::backward);
        return {};
      case method::linear: {
        if (!inside) return {};
        if (ord(i) - ord(*prev) > lim) return {};
        if (cells[i]->slot - cells[*prev]->slot > age || cells[*next]->slot - cells[i]->slot > age)
          return {};
        return {
            true,
            lerp(*cells[*prev]->original, *cells[*next]->original, pos(*prev), pos(i), pos(*next)),
            status::interpolated, 0, std::nullopt};
      }
      case method::constant: {
        std::size_t gap_start = i;
        while (gap_start > 0 && !observed(gap_start - 1)) --gap_start;
        if (ord(i) - ord(gap_start) >= lim) return {};
        return {true, static_cast<T>(f.constant), status::constant, 0, std::nullopt};
      }
    }
    return {};
  };

  std::vector<decision> d(n);
  for (std::size_t i = 0; i < n; ++i)
    if (!observed(i)) d[i] = decide(i);
  if (f.all_or_nothing) {
    for (std::size_t i = 0; i < n; ++i) {
      if (observed(i)) continue;
      std::size_t a = i, b = i;
      while (a > 0 && !observed(a - 1)) --a;
      while (b + 1 < n && !observed(b + 1)) ++b;
      bool all = true;
      for (std::size_t k = a; k <= b; ++k) all = all && d[k].ok;
      if (!all) d[i].ok = false;
    }
  }
  // Decide everything first, then write (decisions read only observed cells).
  for (std::size_t i = 0; i < n; ++i) {
    cell<T>& c = *cells[i];
    if (observed(i)) {
      c.filled = c.original;
      continue;
    }
    if (d[i].ok) {
      c.filled = d[i].value;
      c.st = d[i].st;
      c.source_offset =
          (d[i].st == status::forward || d[i].st == status::backward) ? d[i].offset : 0;
      c.source_slot = d[i].from;
    }
  }
}

// The whole pipeline for one value column. Output order: partition, key, slot.
template <class R, class T>
std::vector<cell<R>> run(const config& c, const std::vector<row<T>>& rows, const fill_spec& f) {
  using key_t = std::vector<i64>;
  // (partition, key, slot) -> rows in input order
  std::map<std::tuple<i64, key_t, i64>, std::vector<std::pair<std::size_t, row<T>>>> by_cell;
  std::set<key_t> all_keys;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const i64 s = slot_start(c, rows[i].t);
    by_cell[{partition_of_start(c, s), rows[i].key, s}].push_back({i, rows[i]});
    all_keys.insert(rows[i].key);
  }
  std::set<i64> partitions;
  for (const auto& [k, v] : by_cell) partitions.insert(std::get<0>(k));
  std::set<i64> range_slots;
  if (c.g == grid::range) {
    i64 s = slot_start(c, c.range_start);
    if (s < c.range_start) s += c.slot_width;
    for (; s < c.range_end; s += c.slot_width) {
      range_slots.insert(s);
      partitions.insert(partition_of_start(c, s));
    }
  }

  std::vector<cell<R>> out;
  std::map<key_t, std::pair<R, i64>> latest;  // per key: its last observation so far (value, slot)
  for (const i64 p : partitions) {
    // Keys in scope and their slots.
    std::map<key_t, std::set<i64>> slots_of_key;
    i64 p_lo = std::numeric_limits<i64>::max(), p_hi = std::numeric_limits<i64>::min();
    for (const auto& [k, v] : by_cell) {
      if (std::get<0>(k) != p) continue;
      p_lo = std::min(p_lo, std::get<2>(k));
      p_hi = std::max(p_hi, std::get<2>(k));
    }
    if (c.g == grid::range) {
      for (const key_t& key : all_keys)
        for (const i64 s : range_slots)
          if (partition_of_start(c, s) == p) slots_of_key[key].insert(s);
    } else {
      for (const auto& [k, v] : by_cell) {
        if (std::get<0>(k) != p) continue;
        slots_of_key[std::get<1>(k)].insert(std::get<2>(k));
      }
      for (auto& [key, slots] : slots_of_key) {
        const i64 lo = c.g == grid::partition_span ? p_lo : *slots.begin();
        const i64 hi = c.g == grid::partition_span ? p_hi : *slots.rbegin();
        if (c.g != grid::observed)
          for (i64 s = lo; s <= hi; s += c.slot_width) slots.insert(s);
      }
    }
    for (const auto& [key, slots] : slots_of_key) {
      const std::size_t first = out.size();
      for (const i64 s : slots) {
        cell<R> x{p, key, s, std::nullopt, std::nullopt, status::missing, 0, std::nullopt};
        auto it = by_cell.find({p, key, s});
        if (it != by_cell.end()) x.original = dedup_cell<R, T>(c, it->second);
        if (x.original) x.st = status::observed;
        out.push_back(x);
      }
      std::vector<cell<R>*> run_cells;
      for (std::size_t i = first; i < out.size(); ++i) run_cells.push_back(&out[i]);
      const auto seen = latest.find(key);
      fill_run(
          run_cells, f, c.slot_width,
          seen == latest.end() ? std::nullopt : std::optional<std::pair<R, i64>>(seen->second));
      for (std::size_t i = out.size(); i-- > first;) {
        if (out[i].st == status::observed) {
          latest[key] = {*out[i].original, out[i].slot};
          break;
        }
      }
    }
  }
  return out;
}

}  // namespace ref
