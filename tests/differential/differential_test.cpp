// Randomized differential tests: the real pipeline against the slow reference
// (tests/reference/reference.hpp) on generated cases covering every combination of
// partition, dedup, grid and fill policy, over double, float and int64 columns. Seeds are
// fixed; a failing case is shrunk (rows removed while it still fails) and printed.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "../reference/reference.hpp"
#include "cases.hpp"

namespace {

using namespace cases;

template <class T>
bool same_value(T a, T b, bool interpolated) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    if (interpolated) {
      const double da = static_cast<double>(a), db = static_cast<double>(b);
      return da == db || std::fabs(da - db) <= 1e-9 * std::max(1.0, std::fabs(db));
    }
  }
  return a == b;
}

// Compares one value column; returns "" or the first difference.
template <class R, class T>
std::string compare_column(const generated_case& c, const tsfill::result& r, std::size_t col,
                           const std::vector<std::optional<T>>& values) {
  std::vector<ref::row<T>> rows;
  for (std::size_t i = 0; i < c.t.size(); ++i) {
    std::vector<i64> key;
    for (int j = 0; j < c.key_columns; ++j) key.push_back(c.keys[static_cast<std::size_t>(j)][i]);
    rows.push_back({c.t[i], key, values[i]});
  }
  std::vector<ref::cell<R>> expect;
  try {
    expect = ref::run<R, T>(c.cfg, rows, c.fills[col]);
  } catch (const ref::duplicate_rejected&) {
    return "reference rejected a duplicate, the pipeline did not";
  }
  if (expect.size() != r.rows())
    return "rows: expected " + std::to_string(expect.size()) + ", got " + std::to_string(r.rows());
  const tsfill::result_column& rc = r.value(col);
  if (rc.type() != tsfill::value_type_of<R>()) return "output type differs";
  // A lean run (run_options::keep_original off) has no original values, and says so.
  if (rc.has_original() == c.lean) return "has_original() is wrong for the run's form";
  if (c.lean) {
    try {
      (void)rc.original<R>();
      return "original() of a lean run did not throw";
    } catch (const tsfill::invalid_argument&) {
    }
  }
  const auto orig = c.lean ? std::span<const R>() : rc.original<R>();
  const auto filled = rc.filled<R>();
  for (const tsfill::segment& s : r.segments()) {
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
      const ref::cell<R>& e = expect[i];
      const std::string at =
          "row " + std::to_string(i) + " (slot " + std::to_string(e.slot) + "): ";
      if (s.partition != e.partition)
        return at + "partition " + std::to_string(s.partition) + " vs " +
               std::to_string(e.partition);
      for (int j = 0; j < c.key_columns; ++j)
        if (r.distinct_keys(static_cast<std::size_t>(j))[s.key] !=
            e.key[static_cast<std::size_t>(j)])
          return at + "key differs";
      if (r.slot_times()[i] != e.slot) return at + "slot time " + std::to_string(r.slot_times()[i]);
      if (rc.original_valid(i) != e.original.has_value()) return at + "original validity differs";
      if (e.original && !c.lean && !same_value(orig[i], *e.original, false))
        return at + "original " + std::to_string(orig[i]) + " vs " + std::to_string(*e.original);
      const auto st = static_cast<int>(rc.status()[i]);
      if (st != static_cast<int>(e.st))
        return at + "status " + std::to_string(st) + " vs " +
               std::to_string(static_cast<int>(e.st));
      if (rc.filled_valid(i) != e.filled.has_value()) return at + "filled validity differs";
      if (e.filled && !same_value(filled[i], *e.filled, e.st == ref::status::interpolated))
        return at + "filled " + std::to_string(filled[i]) + " vs " + std::to_string(*e.filled);
      if (!e.filled && std::is_floating_point_v<R> && !std::isnan(static_cast<double>(filled[i])))
        return at + "a missing filled cell must hold NaN";
      if (c.source_times && rc.source_times()[i] != e.source_slot.value_or(tsfill::no_source_time))
        return at + "source time " + std::to_string(rc.source_times()[i]) + " vs " +
               (e.source_slot ? std::to_string(*e.source_slot) : "none");
      if (c.source_offsets && rc.source_offsets()[i] != e.source_offset)
        return at + "source offset " + std::to_string(rc.source_offsets()[i]) + " vs " +
               std::to_string(e.source_offset);
    }
  }
  return "";
}

template <class T>
using mean_t = typename ref::out_types<T>::mean;

template <class T>
std::string compare_typed(const generated_case& c, const tsfill::result& r, std::size_t col,
                          const std::vector<std::optional<T>>& v) {
  switch (c.cfg.d) {
    case ref::dedup::mean:
      return compare_column<mean_t<T>, T>(c, r, col, v);
    case ref::dedup::count:
      return compare_column<std::int64_t, T>(c, r, col, v);
    default:
      return compare_column<T, T>(c, r, col, v);
  }
}

// What the cases exercised, so the suite can check it is not vacuous.
struct coverage {
  std::size_t cases_with_cells = 0;
  std::size_t rejected = 0;
  // [combination of partition x dedup x grid x fill method of column 0][status]
  std::vector<std::array<std::size_t, tsfill::cell_status_count>> status_by_combo =
      std::vector<std::array<std::size_t, tsfill::cell_status_count>>(480);
};
coverage* current_coverage = nullptr;

// "" when the pipeline and the reference agree on the case.
std::string check(const generated_case& c, std::size_t combo = 0) {
  auto real = run_real(c);
  if (auto* err = std::get_if<std::string>(&real)) {
    if (*err == "duplicate") {
      // The reference must reject too (on any column).
      try {
        std::vector<ref::row<double>> rows;
        for (std::size_t i = 0; i < c.t.size(); ++i) {
          std::vector<i64> key;
          for (int j = 0; j < c.key_columns; ++j)
            key.push_back(c.keys[static_cast<std::size_t>(j)][i]);
          rows.push_back({c.t[i], key, c.f64[i]});
        }
        ref::run<double, double>(c.cfg, rows, c.fills[0]);
      } catch (const ref::duplicate_rejected&) {
        if (current_coverage) ++current_coverage->rejected;
        return "";
      }
      return "the pipeline rejected a duplicate, the reference did not";
    }
    return "the pipeline threw: " + *err;
  }
  const tsfill::result& r = std::get<tsfill::result>(real);
  std::string d = compare_typed<double>(c, r, 0, c.f64);
  if (d.empty()) d = compare_typed<float>(c, r, 1, c.f32);
  if (d.empty()) d = compare_typed<std::int64_t>(c, r, 2, c.i64v);
  if (!d.empty()) return d;
  const std::size_t outside = r.stats().rows_outside_grid;
  if (c.cfg.g != ref::grid::range && outside != 0) return "rows outside a data-driven grid";
  if (current_coverage) {
    current_coverage->cases_with_cells += r.rows() > 0;
    for (const tsfill::cell_status st : r.value(0).status())
      ++current_coverage->status_by_combo[combo % 480][static_cast<std::size_t>(st)];
  }
  return "";
}

// Removes rows one at a time while the case still fails, to print a small counterexample.
generated_case shrink(generated_case c) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t i = 0; i < c.t.size(); ++i) {
      generated_case d = c;
      d.t.erase(d.t.begin() + static_cast<std::ptrdiff_t>(i));
      for (auto& k : d.keys) k.erase(k.begin() + static_cast<std::ptrdiff_t>(i));
      d.f64.erase(d.f64.begin() + static_cast<std::ptrdiff_t>(i));
      d.f32.erase(d.f32.begin() + static_cast<std::ptrdiff_t>(i));
      d.i64v.erase(d.i64v.begin() + static_cast<std::ptrdiff_t>(i));
      if (!check(d).empty()) {
        c = d;
        progress = true;
        break;
      }
    }
  }
  return c;
}

// `per_combination`: also require every combination to have filled a cell (that needs many
// cases per combination; large dense cases leave few gaps).
void run_cases(std::uint64_t seed, std::size_t count, i64 max_rows = 24,
               bool per_combination = true) {
  generator g(seed, max_rows);
  coverage cov;
  std::size_t failures = 0;
  for (std::size_t k = 0; k < count; ++k) {
    generated_case c = g.make(k);
    c.lean = (k / 480) % 3 == 1;  // every third round of the combinations in the lean form
    current_coverage = &cov;
    const std::string diff = check(c, k);
    current_coverage = nullptr;
    if (diff.empty()) continue;
    const generated_case small = shrink(c);
    ADD_FAILURE() << "case " << k << " (seed " << seed << "): " << check(small) << "\n"
                  << describe(small);
    if (++failures >= 3) return;
  }
  // Not vacuous: most cases produce cells, and in every combination the fill of column 0
  // actually filled something (except where nothing can be: reject mostly throws, and
  // fill::none never fills).
  EXPECT_GT(cov.cases_with_cells, count * 8 / 10);
  EXPECT_GT(cov.rejected, count / 100);
  for (std::size_t combo = 0; per_combination && combo < 480; ++combo) {
    const auto m = static_cast<ref::method>(combo % 6);
    const auto d = static_cast<ref::dedup>((combo / 24) % 10);
    const auto gr = static_cast<ref::grid>((combo / 6) % 4);
    const auto& st = cov.status_by_combo[combo];
    if (d == ref::dedup::reject) continue;
    EXPECT_GT(st[static_cast<std::size_t>(tsfill::cell_status::observed)], 0U)
        << "combination " << combo;
    if (m == ref::method::none) continue;
    // count is never null and an observed grid has only cells with rows: nothing to fill.
    if (d == ref::dedup::count && gr == ref::grid::observed) continue;
    const std::size_t filled = st[2] + st[3] + st[4] + st[5];
    EXPECT_GT(filled, 0U) << "combination " << combo << " never filled a cell";
  }
}

// 480 combinations (2 partitions x 10 dedups x 4 grids x 6 fills) x 50 cases each per seed.
TEST(differential, seed_1) {
  run_cases(1, 24000);
}
TEST(differential, seed_2) {
  run_cases(2, 24000);
}
// Larger cases (up to 120 rows, wide key values): 10 per combination.
TEST(differential, seed_3_larger_cases) {
  run_cases(3, 4800, 120, false);
}

}  // namespace
