// Generated cases for the differential tests: a random table and policy combination, the
// real pipeline configured from it (run_real), and the printing of a case. Shared by the
// test against the reference (differential_test.cpp) and the batches test.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <tsfill/tsfill.hpp>

#include "../reference/reference.hpp"

namespace cases {

using namespace std::chrono_literals;
using secs = std::chrono::seconds;
using ref::i64;

constexpr i64 hour = 3600;
constexpr i64 day = 86400;

struct generated_case {
  ref::config cfg;
  std::vector<i64> t;
  int key_columns = 1;
  std::vector<std::vector<i64>> keys;  // [column][row]
  std::vector<std::optional<double>> f64;
  std::vector<std::optional<float>> f32;
  std::vector<std::optional<i64>> i64v;
  ref::fill_spec fills[3];
  bool source_offsets = true;
  bool source_times = true;
  unsigned threads = 1;
  bool lean = false;  // run_options::keep_original off
  int isa = -1;       // force an instruction set (0 scalar, 1 avx2, 2 avx512), -1 the best
};

inline const char* name(ref::dedup d) {
  static const char* n[] = {"last", "first", "reject", "last_valid", "first_valid",
                            "mean", "min",   "max",    "sum",        "count"};
  return n[static_cast<int>(d)];
}
inline const char* name(ref::grid g) {
  static const char* n[] = {"partition_span", "key_span", "range", "observed"};
  return n[static_cast<int>(g)];
}
inline const char* name(ref::method m) {
  static const char* n[] = {"forward", "backward", "linear", "nearest", "constant", "none"};
  return n[static_cast<int>(m)];
}

inline std::string describe(const generated_case& c) {
  std::ostringstream o;
  o << "slot width " << c.cfg.slot_width << "s anchor " << c.cfg.slot_anchor << "s, partition "
    << (c.cfg.partition_by_day ? "utc_day offset " + std::to_string(c.cfg.day_offset) + "s"
                               : std::string("none"))
    << ", dedup " << name(c.cfg.d) << ", grid " << name(c.cfg.g) << ", threads " << c.threads
    << ", isa " << c.isa << (c.lean ? ", lean" : "");
  if (c.cfg.g == ref::grid::range) o << " [" << c.cfg.range_start << ", " << c.cfg.range_end << ")";
  o << ", nan_is_null " << c.cfg.nan_is_null << ", source_offsets " << c.source_offsets
    << ", source_times " << c.source_times << "\n";
  const char* col[] = {"f64", "f32", "i64"};
  for (int k = 0; k < 3; ++k) {
    const ref::fill_spec& f = c.fills[k];
    o << "  fill " << col[k] << ": " << name(f.m);
    if (f.limit) o << " limit " << *f.limit;
    if (f.max_age) o << " max_age " << *f.max_age << "s";
    o << " area " << static_cast<int>(f.a) << (f.all_or_nothing ? " all_or_nothing" : "")
      << (f.by_time ? " by time" : "") << (f.carry_in ? " carry_in" : "")
      << (f.m == ref::method::constant ? " value " + std::to_string(f.constant) : "") << "\n";
  }
  o << "  rows (t | keys | f64 f32 i64):\n";
  for (std::size_t i = 0; i < c.t.size(); ++i) {
    o << "    " << c.t[i] << " |";
    for (int j = 0; j < c.key_columns; ++j) o << " " << c.keys[static_cast<std::size_t>(j)][i];
    o << " | " << (c.f64[i] ? std::to_string(*c.f64[i]) : "null") << " "
      << (c.f32[i] ? std::to_string(*c.f32[i]) : "null") << " "
      << (c.i64v[i] ? std::to_string(*c.i64v[i]) : "null") << "\n";
  }
  return o.str();
}

// --- the real pipeline, configured from a case -------------------------------------------

inline tsfill::fill::any to_policy(const ref::fill_spec& f) {
  const std::optional<tsfill::exact_duration> age =
      f.max_age ? std::optional<tsfill::exact_duration>(secs(*f.max_age)) : std::nullopt;
  const auto area = static_cast<tsfill::limit_area>(static_cast<int>(f.a));
  const tsfill::axis by = f.by_time ? tsfill::axis::time : tsfill::axis::slot;
  switch (f.m) {
    case ref::method::forward:
      return tsfill::fill::forward{f.limit, age, area, f.all_or_nothing, f.carry_in};
    case ref::method::backward:
      return tsfill::fill::backward{f.limit, age, area, f.all_or_nothing};
    case ref::method::linear:
      return tsfill::fill::linear{by, f.limit, age, area, f.all_or_nothing};
    case ref::method::nearest:
      return tsfill::fill::nearest{by, f.limit, age, area, f.all_or_nothing};
    case ref::method::constant:
      return tsfill::fill::constant{f.constant, f.limit, area, f.all_or_nothing};
    case ref::method::none:
      return tsfill::fill::none{};
  }
  return {};
}

template <class F>
void with_dedup(ref::dedup d, F&& f) {
  namespace dd = tsfill::dedup;
  switch (d) {
    case ref::dedup::last:
      return f(dd::last{});
    case ref::dedup::first:
      return f(dd::first{});
    case ref::dedup::reject:
      return f(dd::reject{});
    case ref::dedup::last_valid:
      return f(dd::last_valid{});
    case ref::dedup::first_valid:
      return f(dd::first_valid{});
    case ref::dedup::mean:
      return f(dd::mean{});
    case ref::dedup::min:
      return f(dd::min{});
    case ref::dedup::max:
      return f(dd::max{});
    case ref::dedup::sum:
      return f(dd::sum{});
    case ref::dedup::count:
      return f(dd::count{});
  }
}

template <class F>
void with_grid(const ref::config& c, F&& f) {
  switch (c.g) {
    case ref::grid::partition_span:
      return f(tsfill::grid::partition_span{});
    case ref::grid::key_span:
      return f(tsfill::grid::key_span{});
    case ref::grid::range:
      return f(tsfill::grid::range{tsfill::instant(tsfill::exact_duration(secs(c.range_start))),
                                   tsfill::instant(tsfill::exact_duration(secs(c.range_end)))});
    case ref::grid::observed:
      return f(tsfill::grid::observed{});
  }
}

template <class F>
void with_partition(const ref::config& c, F&& f) {
  if (c.partition_by_day) return f(tsfill::partition::utc_day{secs(c.day_offset)});
  return f(tsfill::partition::none{});
}

struct bitmap {
  std::vector<std::uint8_t> bytes;
  template <class T>
  explicit bitmap(const std::vector<std::optional<T>>& v) : bytes((v.size() + 7) / 8 + 1, 0) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v[i]) bytes[i / 8] = static_cast<std::uint8_t>(bytes[i / 8] | (1U << (i % 8)));
  }
};

template <class T>
std::vector<T> values_of(const std::vector<std::optional<T>>& v) {
  std::vector<T> out;
  for (const auto& x : v) out.push_back(x.value_or(T{}));
  return out;
}

// The key columns of a case: column 0 as int32, column 1 as int64 (two key widths in
// every run).
struct real_keys {
  std::vector<std::int32_t> k0;
  std::vector<std::int64_t> k1;
  std::vector<tsfill::key_column> columns;
  explicit real_keys(const generated_case& c) {
    if (c.key_columns >= 1) {
      for (i64 v : c.keys[0]) k0.push_back(static_cast<std::int32_t>(v));
      columns.emplace_back("k0", k0);
    }
    if (c.key_columns >= 2) {
      k1 = c.keys[1];
      columns.emplace_back("k1", k1);
    }
  }
  real_keys(const real_keys&) = delete;
  real_keys& operator=(const real_keys&) = delete;
};

// Runs the real pipeline (with `opt`'s batch fields); returns the result or the error text.
inline std::variant<tsfill::result, std::string> run_real(const generated_case& c,
                                                          tsfill::run_options opt = {}) {
  const real_keys keys(c);
  const std::vector<double> f64 = values_of(c.f64);
  const std::vector<float> f32 = values_of(c.f32);
  const std::vector<std::int64_t> i64v = values_of(c.i64v);
  const bitmap b64(c.f64), b32(c.f32), bi(c.i64v);
  tsfill::table_view<secs> table{
      c.t,
      keys.columns,
      {tsfill::value_column("f64", f64, b64.bytes), tsfill::value_column("f32", f32, b32.bytes),
       tsfill::value_column("i64", i64v, bi.bytes)}};
  const std::vector<tsfill::fill::any> fills = {to_policy(c.fills[0]), to_policy(c.fills[1]),
                                                to_policy(c.fills[2])};
  opt.nan_is_null = c.cfg.nan_is_null;
  opt.source_offsets = c.source_offsets;
  opt.source_times = c.source_times;
  opt.threads = c.threads;
  opt.keep_original = !c.lean;
  tsfill::detail::force_isa(c.isa);
  struct restore_isa {
    ~restore_isa() { tsfill::detail::force_isa(-1); }
  } restore;
  std::variant<tsfill::result, std::string> out = std::string("not run");
  with_dedup(c.cfg.d, [&](auto dedup) {
    with_grid(c.cfg, [&](auto grid) {
      with_partition(c.cfg, [&](auto part) {
        tsfill::pipeline<tsfill::slot::fixed, decltype(part), decltype(dedup), decltype(grid),
                         tsfill::fill::any>
            job{tsfill::slot::fixed{secs(c.cfg.slot_width), secs(c.cfg.slot_anchor)}, part, dedup,
                grid, tsfill::fill::any{}};
        try {
          out = job.run(table, std::span<const tsfill::fill::any>(fills), opt);
        } catch (const tsfill::duplicate_error& e) {
          out = std::string("duplicate");
        } catch (const tsfill::error& e) {
          out = std::string(e.what());
        }
      });
    });
  });
  return out;
}

// --- generation ---------------------------------------------------------------------------

struct generator {
  std::mt19937_64 rng;
  i64 max_rows;
  explicit generator(std::uint64_t seed, i64 max_rows_ = 24) : rng(seed), max_rows(max_rows_) {}

  i64 uniform(i64 lo, i64 hi) { return std::uniform_int_distribution<i64>(lo, hi)(rng); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng); }
  template <class T>
  T pick(std::initializer_list<T> xs) {
    return *(xs.begin() + uniform(0, static_cast<i64>(xs.size()) - 1));
  }

  ref::fill_spec fill(ref::method m, i64 width) {
    ref::fill_spec f;
    f.m = m;
    if (chance(0.4)) f.limit = uniform(1, 4);
    if (chance(0.3) && m != ref::method::constant)
      f.max_age = uniform(1, 5) * width / 2 + uniform(0, 1);
    f.a = static_cast<ref::area>(uniform(0, 2));
    if (m == ref::method::linear && f.a == ref::area::outside) f.a = ref::area::inside;
    f.all_or_nothing = (f.limit || f.max_age) && chance(0.4);
    f.by_time = chance(0.5);
    f.constant = static_cast<double>(uniform(-5, 5));
    f.carry_in = m == ref::method::forward && chance(0.4);
    return f;
  }

  generated_case make(std::size_t combo) {
    generated_case c;
    // Every (partition, dedup, grid, fill method) combination, in turn.
    const auto m = static_cast<ref::method>(combo % 6);
    c.cfg.g = static_cast<ref::grid>((combo / 6) % 4);
    c.cfg.d = static_cast<ref::dedup>((combo / 24) % 10);
    c.cfg.partition_by_day = (combo / 240) % 2 == 0;
    c.cfg.slot_width =
        pick<i64>({hour, 2 * hour, 3 * hour, 5 * hour, 6 * hour, 8 * hour, day, 1800});
    c.cfg.slot_anchor = pick<i64>({0, 0, 900, -1800, 5000, 7 * hour});
    c.cfg.day_offset = pick<i64>({0, 0, 5 * hour, -7 * hour});
    c.cfg.nan_is_null = chance(0.3);
    c.source_offsets = chance(0.6);
    c.source_times = chance(0.5);
    const i64 base =
        pick<i64>({0, -3 * day, 19782 * day, -1, 1});  // epoch, before 1970, 2024-02-29
    const i64 span = uniform(1, 3) * day;
    const auto n = static_cast<std::size_t>(chance(0.05) ? uniform(0, 1) : uniform(2, max_rows));
    c.key_columns = static_cast<int>(uniform(0, 2));
    c.keys.assign(static_cast<std::size_t>(c.key_columns), {});
    const bool all_null = chance(0.05);
    const double null_rate = pick<double>({0.1, 0.25, 0.5});
    std::vector<i64> pool;  // some times repeat exactly (ties)
    for (std::size_t i = 0; i < n; ++i) {
      i64 t = base + uniform(0, span);
      if (!pool.empty() && chance(0.2))
        t = pool[static_cast<std::size_t>(uniform(0, static_cast<i64>(pool.size()) - 1))];
      pool.push_back(t);
      c.t.push_back(t);
      // Column 1 (int64) sometimes holds values far apart: the hash path of key encoding.
      for (std::size_t j = 0; j < c.keys.size(); ++j)
        c.keys[j].push_back(j == 1 && max_rows > 24 ? pick<i64>({-1, 0, i64{1} << 40, INT64_MIN})
                                                    : pick<i64>({-1, 0, 5}));
      auto val = [&]() -> std::optional<double> {
        if (all_null || chance(null_rate)) return std::nullopt;
        if (chance(0.05)) return std::numeric_limits<double>::quiet_NaN();
        if (chance(0.01)) return std::numeric_limits<double>::infinity();
        return static_cast<double>(uniform(-40, 40)) / 4.0;
      };
      c.f64.push_back(val());
      const auto v32 = val();
      c.f32.push_back(v32 ? std::optional<float>(static_cast<float>(*v32)) : std::nullopt);
      if (all_null || chance(null_rate)) {
        c.i64v.push_back(std::nullopt);
      } else {
        c.i64v.push_back(chance(0.05) ? pick<i64>({(i64{1} << 62), -(i64{1} << 62)})
                                      : uniform(-1000, 1000));
      }
    }
    // A third of the cases come sorted by time (stably, so ties keep their input order):
    // the pipeline's "rows grouped by partition" and "last write wins" paths.
    if (chance(0.33)) {
      std::vector<std::size_t> order(c.t.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return c.t[a] < c.t[b]; });
      generated_case s = c;
      for (std::size_t i = 0; i < order.size(); ++i) {
        s.t[i] = c.t[order[i]];
        for (std::size_t j = 0; j < c.keys.size(); ++j) s.keys[j][i] = c.keys[j][order[i]];
        s.f64[i] = c.f64[order[i]];
        s.f32[i] = c.f32[order[i]];
        s.i64v[i] = c.i64v[order[i]];
      }
      c = std::move(s);
    }
    c.threads = chance(0.5) ? 2U : 1U;
    c.isa = static_cast<int>(uniform(0, 2));
    if (c.cfg.g == ref::grid::range) {
      c.cfg.range_start = base + uniform(-day / 2, span / 2);
      c.cfg.range_end = c.cfg.range_start + uniform(1, span + day);
    }
    for (int k = 0; k < 3; ++k) {
      // Column 0 always takes the combination's method; the others vary freely.
      const auto mk = k == 0 ? m : static_cast<ref::method>(uniform(0, 5));
      c.fills[k] = fill(mk, c.cfg.slot_width);
    }
    return c;
  }
};

}  // namespace cases
