// The pipeline end to end: the reference scenario by hand, and the edge cases.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "../support/table.hpp"

namespace {

using namespace std::chrono_literals;
using tsfill::cell_status;
using tsfill_test::day_ns;
using tsfill_test::min_ns;
using tsfill_test::out_row;
using tsfill_test::owned_table;
using tsfill_test::rows_of;
using opt = std::optional<double>;
constexpr auto obs = cell_status::observed;
constexpr auto fwd = cell_status::forward;
constexpr auto miss = cell_status::missing;

constexpr std::int64_t d0 = 19783;  // 2024-03-01
constexpr std::int64_t at(std::int64_t day, int h, int m) {
  return day_ns(day) + min_ns(h * 60 + m);
}

const tsfill::pipeline<> reference_job{.slot = tsfill::slot::fixed{30min}};

TEST(pipeline, reference_scenario) {
  // Ticker 1 and 2 (one tenor) over two days; two value columns to show row-wise dedup.
  owned_table<> t({at(d0, 9, 31), at(d0, 9, 45), at(d0, 10, 40), at(d0, 11, 5), at(d0, 10, 0),
                   at(d0, 11, 29), at(d0 + 1, 9, 10), at(d0 + 1, 10, 10)});
  t.key("ticker", {1, 1, 1, 1, 2, 2, 1, 1});
  t.value<double>("a", {1.0, 2.0, std::nullopt, 4.0, 10.0, 11.0, std::nullopt, 5.0});
  t.value<double>("b", {7.0, std::nullopt, 8.0, 9.0, 20.0, 21.0, 30.0, std::nullopt});
  const tsfill::result r = reference_job.run(t.view());

  const std::vector<out_row> a = {
      // day 0: slots 09:30..11:00 over all keys; every key gets all four
      {d0, {1}, at(d0, 9, 30), 2.0, 2.0, obs},  // latest of 09:31 and 09:45
      {d0, {1}, at(d0, 10, 0), opt{}, 2.0, fwd},
      {d0, {1}, at(d0, 10, 30), opt{}, 2.0, fwd},  // the row exists, its value is null
      {d0, {1}, at(d0, 11, 0), 4.0, 4.0, obs},
      {d0, {2}, at(d0, 9, 30), opt{}, opt{}, miss},  // leading null stays null
      {d0, {2}, at(d0, 10, 0), 10.0, 10.0, obs},
      {d0, {2}, at(d0, 10, 30), opt{}, 10.0, fwd},
      {d0, {2}, at(d0, 11, 0), 11.0, 11.0, obs},
      // day 1: only ticker 1 was seen; nothing carries over from day 0
      {d0 + 1, {1}, at(d0 + 1, 9, 0), opt{}, opt{}, miss},
      {d0 + 1, {1}, at(d0 + 1, 9, 30), opt{}, opt{}, miss},
      {d0 + 1, {1}, at(d0 + 1, 10, 0), 5.0, 5.0, obs},
  };
  EXPECT_EQ(rows_of(r, 0), a);
  // Column b: the whole latest row wins, so 09:45's null beats 09:31's 7.
  const std::vector<out_row> b = rows_of(r, 1);
  EXPECT_EQ(b[0].original, opt{});
  EXPECT_EQ(b[0].filled, opt{});
  EXPECT_EQ(b[2].original, 8.0);
  EXPECT_EQ(b[8].original, 30.0);
  EXPECT_EQ(b[10].filled, 30.0);

  EXPECT_EQ(r.stats().rows_in, 8U);
  EXPECT_EQ(r.stats().duplicate_rows, 1U);
  EXPECT_EQ(r.stats().partitions, 2U);
  EXPECT_EQ(r.stats().keys, 2U);
  EXPECT_EQ(r.stats().cells, 11U);
  EXPECT_EQ(r.value(0).stats()[fwd], 3U);
  EXPECT_EQ(r.value(0).stats()[miss], 3U);
  EXPECT_EQ(r.partition_column(),
            (std::vector<std::int64_t>{d0, d0, d0, d0, d0, d0, d0, d0, d0 + 1, d0 + 1, d0 + 1}));
  EXPECT_EQ(r.key_column(0), (std::vector<std::int64_t>{1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1}));
}

TEST(pipeline, last_valid_keeps_the_latest_non_null_value_per_column) {
  owned_table<> t({at(d0, 9, 31), at(d0, 9, 45)});
  t.value<double>("b", {7.0, std::nullopt});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{30min},
                             .dedup = tsfill::dedup::last_valid{}};
  EXPECT_EQ(rows_of(job.run(t.view()))[0].original, 7.0);
}

TEST(pipeline, empty_input) {
  owned_table<> t({});
  t.key("k", {}).value<double>("v", {});
  const tsfill::result r = reference_job.run(t.view());
  EXPECT_EQ(r.rows(), 0U);
  EXPECT_TRUE(r.segments().empty());
  EXPECT_EQ(r.value(0).original<double>().size(), 0U);
  EXPECT_EQ(r.stats().partitions, 0U);
}

TEST(pipeline, empty_input_with_range_grid_has_no_keys_and_no_rows) {
  owned_table<> t({});
  t.key("k", {}).value<double>("v", {});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{30min},
                             .grid = tsfill::grid::range{std::chrono::sys_days{2024y / 3 / 1},
                                                         std::chrono::sys_days{2024y / 3 / 2}}};
  EXPECT_EQ(job.run(t.view()).rows(), 0U);
}

TEST(pipeline, one_row) {
  owned_table<> t({at(d0, 12, 7)});
  t.key("k", {3}).value<double>("v", {1.5});
  EXPECT_EQ(rows_of(reference_job.run(t.view())),
            (std::vector<out_row>{{d0, {3}, at(d0, 12, 0), 1.5, 1.5, obs}}));
}

TEST(pipeline, no_keys_and_no_values) {
  owned_table<> t({at(d0, 0, 0), at(d0, 1, 0)});
  const tsfill::result r = reference_job.run(t.view());
  EXPECT_EQ(r.rows(), 3U);  // 00:00, 00:30, 01:00 for the single (empty) key
  EXPECT_EQ(r.value_count(), 0U);
  EXPECT_EQ(r.key_count(), 0U);
}

TEST(pipeline, all_null) {
  owned_table<> t({at(d0, 9, 0), at(d0, 10, 0)});
  t.value<double>("v", {std::nullopt, std::nullopt});
  const tsfill::result r = reference_job.run(t.view());
  EXPECT_EQ(r.rows(), 3U);
  for (std::size_t i = 0; i < r.rows(); ++i) {
    EXPECT_FALSE(r.value(0).filled_valid(i));
    EXPECT_TRUE(std::isnan(r.value(0).filled<double>()[i]));  // NaN under nulls
  }
  EXPECT_EQ(r.value(0).stats()[miss], 3U);
}

TEST(pipeline, all_rows_duplicate_the_last_in_input_order_wins) {
  owned_table<> t(std::vector<std::int64_t>(5, at(d0, 9, 0)));
  t.key("k", {1, 1, 1, 1, 1}).value<double>("v", {1, 2, 3, 4, 5});
  const tsfill::result r = reference_job.run(t.view());
  EXPECT_EQ(r.rows(), 1U);
  EXPECT_EQ(r.value(0).original<double>()[0], 5.0);
  EXPECT_EQ(r.stats().duplicate_rows, 4U);
  const tsfill::pipeline first{.slot = tsfill::slot::fixed{30min}, .dedup = tsfill::dedup::first{}};
  EXPECT_EQ(first.run(t.view()).value(0).original<double>()[0], 1.0);
}

TEST(pipeline, latest_by_event_time_not_by_input_order) {
  owned_table<> t({at(d0, 9, 50), at(d0, 9, 40)});  // later event first
  t.value<double>("v", {1.0, 2.0});
  EXPECT_EQ(rows_of(reference_job.run(t.view()))[0].original, 1.0);
}

TEST(pipeline, unsorted_input_gives_the_same_result_as_sorted) {
  std::mt19937 rng(7);
  std::vector<std::int64_t> ts, keys;
  std::vector<std::optional<double>> vals;
  for (int i = 0; i < 300; ++i) {
    ts.push_back(at(d0 + i % 3, 8, 0) + min_ns(static_cast<std::int64_t>(rng() % 600)));
    keys.push_back(static_cast<std::int64_t>(rng() % 5));
    vals.push_back(rng() % 4 == 0 ? opt{} : opt{static_cast<double>(rng() % 100)});
  }
  // Sort by time; ties keep their relative order, so "later in the input" is preserved.
  std::vector<std::size_t> idx(ts.size());
  std::iota(idx.begin(), idx.end(), 0U);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](std::size_t a, std::size_t b) { return ts[a] < ts[b]; });
  std::vector<std::int64_t> ts2, keys2;
  std::vector<std::optional<double>> vals2;
  for (std::size_t i : idx) {
    ts2.push_back(ts[i]);
    keys2.push_back(keys[i]);
    vals2.push_back(vals[i]);
  }
  owned_table<> a(ts), b(ts2);
  a.key("k", keys).value<double>("v", vals);
  b.key("k", keys2).value<double>("v", vals2);
  EXPECT_EQ(rows_of(reference_job.run(a.view())), rows_of(reference_job.run(b.view())));
}

TEST(pipeline, timestamps_before_1970_round_toward_the_past) {
  // 1969-12-31 23:59:59 is in the 23:30 slot of day -1, not in 1970's first slot.
  owned_table<> t({-1'000'000'000LL, 0});
  t.value<double>("v", {1.0, 2.0});
  const auto rows = rows_of(reference_job.run(t.view()));
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0], (out_row{-1, {}, -min_ns(30), 1.0, 1.0, obs}));
  EXPECT_EQ(rows[1], (out_row{0, {}, 0, 2.0, 2.0, obs}));  // no carry across the day
}

TEST(pipeline, leap_day_is_its_own_partition) {
  using namespace std::chrono;
  const std::int64_t feb29 = sys_days{2024y / 2 / 29}.time_since_epoch().count();
  owned_table<> t({day_ns(feb29) + min_ns(23 * 60 + 59), day_ns(feb29 + 1)});
  t.value<double>("v", {1.0, 2.0});
  const tsfill::result r = reference_job.run(t.view());
  ASSERT_EQ(r.segments().size(), 2U);
  EXPECT_EQ(r.segments()[0].partition, 19782);  // 2024-02-29
  EXPECT_EQ(r.segments()[1].partition, 19783);  // 2024-03-01
}

TEST(pipeline, key_absent_on_a_day_gets_no_rows_that_day) {
  owned_table<> t({at(d0, 9, 0), at(d0, 9, 0), at(d0 + 1, 9, 0)});
  t.key("k", {1, 2, 1}).value<double>("v", {1, 2, 3});
  const tsfill::result r = reference_job.run(t.view());
  ASSERT_EQ(r.segments().size(), 3U);
  EXPECT_EQ(r.segments()[2].partition, d0 + 1);
  EXPECT_EQ(r.distinct_keys(0)[r.segments()[2].key], 1);
}

TEST(pipeline, range_grid_gives_absent_keys_all_missing_rows) {
  owned_table<> t({at(d0, 0, 10), at(d0 + 1, 0, 40)});
  t.key("k", {1, 2}).value<double>("v", {1, 2});
  const tsfill::pipeline job{
      .slot = tsfill::slot::fixed{30min},
      .grid = tsfill::grid::range{std::chrono::sys_days{2024y / 3 / 1},
                                  std::chrono::sys_days{2024y / 3 / 1} + 1h}};
  const auto rows = rows_of(job.run(t.view()));
  const std::vector<out_row> expect = {
      {d0, {1}, at(d0, 0, 0), 1.0, 1.0, obs},
      {d0, {1}, at(d0, 0, 30), opt{}, 1.0, fwd},
      {d0, {2}, at(d0, 0, 0), opt{}, opt{}, miss},
      {d0, {2}, at(d0, 0, 30), opt{}, opt{}, miss},
  };
  EXPECT_EQ(rows, expect);
}

TEST(pipeline, nan_is_a_value_unless_nan_is_null) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  owned_table<> t({at(d0, 9, 0), at(d0, 9, 30), at(d0, 10, 0), at(d0, 10, 30)});
  t.value<double>("v", {1.0, nan, std::nullopt, 4.0});
  const tsfill::result a = reference_job.run(t.view());
  EXPECT_TRUE(a.value(0).original_valid(1));
  EXPECT_TRUE(std::isnan(a.value(0).filled<double>()[2]));  // NaN carried forward
  EXPECT_EQ(a.value(0).status()[2], fwd);
  tsfill::run_options o;
  o.nan_is_null = true;
  const tsfill::result b = reference_job.run(t.view(), o);
  EXPECT_FALSE(b.value(0).original_valid(1));
  EXPECT_EQ(b.value(0).filled<double>()[1], 1.0);
  EXPECT_EQ(b.value(0).filled<double>()[2], 1.0);
}

TEST(pipeline, partition_none_carries_across_days) {
  owned_table<> t({at(d0, 23, 0), at(d0 + 1, 1, 0)});
  t.value<double>("v", {1.0, std::nullopt});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{1h},
                             .partition = tsfill::partition::none{}};
  const auto rows = rows_of(job.run(t.view()));
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[2].filled, 1.0);
}

TEST(pipeline, utc_day_offset_moves_the_day_boundary) {
  // With offset 17h, 2024-03-01 18:00 UTC belongs to the day that starts 03-01 17:00.
  owned_table<> t({at(d0, 16, 0), at(d0, 18, 0)});
  t.value<double>("v", {1.0, 2.0});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{1h},
                             .partition = tsfill::partition::utc_day{17h}};
  const tsfill::result r = job.run(t.view());
  ASSERT_EQ(r.segments().size(), 2U);
  EXPECT_EQ(r.segments()[0].partition, d0 - 1);
  EXPECT_EQ(r.segments()[1].partition, d0);
}

TEST(pipeline, source_offsets_point_at_the_observation) {
  owned_table<> t({at(d0, 9, 0), at(d0, 10, 30)});
  t.value<double>("v", {1.0, 2.0});
  tsfill::run_options o;
  o.source_offsets = true;
  const tsfill::result r = reference_job.run(t.view(), o);
  const auto src = r.value(0).source_offsets();
  EXPECT_EQ(std::vector<std::int32_t>(src.begin(), src.end()),
            (std::vector<std::int32_t>{0, 1, 2, 0}));
  EXPECT_TRUE(reference_job.run(t.view()).value(0).source_offsets().empty());
}

TEST(pipeline, per_column_fills) {
  owned_table<> t({at(d0, 9, 0), at(d0, 10, 0)});
  t.value<double>("a", {1.0, 3.0}).value<double>("b", {1.0, 3.0});
  const tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, tsfill::dedup::last,
                         tsfill::grid::partition_span, tsfill::fill::any>
      job{.slot = tsfill::slot::fixed{30min}};
  const std::vector<tsfill::fill::any> fills = {tsfill::fill::forward{}, tsfill::fill::linear{}};
  const tsfill::result r = job.run(t.view(), std::span<const tsfill::fill::any>(fills));
  EXPECT_EQ(r.value("a").filled<double>()[1], 1.0);
  EXPECT_EQ(r.value("b").filled<double>()[1], 2.0);
  EXPECT_EQ(r.value("b").status()[1], cell_status::interpolated);
}

TEST(pipeline, other_tick_durations) {
  // Milliseconds and seconds inputs give the same grid as nanoseconds.
  owned_table<std::chrono::seconds> s({1'709'280'000, 1'709'283'600});  // 2024-03-01 08:00, 09:00
  s.value<double>("v", {1.0, 2.0});
  const tsfill::result r = reference_job.run(s.view());
  EXPECT_EQ(r.rows(), 3U);
  EXPECT_EQ(r.slot_times()[1], 1'709'281'800);
  EXPECT_EQ(r.ticks(), (tsfill::tick_period{1, 1}));
}

TEST(pipeline, float_and_int64_columns) {
  owned_table<> t({at(d0, 9, 0), at(d0, 10, 0)});
  t.value<float>("f", {1.5F, std::nullopt}).value<std::int64_t>("i", {std::nullopt, 7});
  const tsfill::result r = reference_job.run(t.view());
  EXPECT_EQ(r.value("f").type(), tsfill::value_type::float32);
  EXPECT_EQ(r.value("f").filled<float>()[2], 1.5F);
  EXPECT_EQ(r.value("i").filled<std::int64_t>()[2], 7);
  EXPECT_FALSE(r.value("i").filled_valid(0));
  EXPECT_THROW((void)r.value("f").filled<double>(), tsfill::invalid_argument);
}

TEST(pipeline, value_blocks_are_column_major_per_type) {
  owned_table<> t({at(d0, 9, 0), at(d0, 9, 30)});
  t.value<double>("a", {1.0, 2.0}).value<float>("f", {1.0F, 2.0F}).value<double>("b", {3.0, 4.0});
  const tsfill::result r = reference_job.run(t.view());
  const auto block = r.filled_block<double>();
  EXPECT_EQ(block.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(block.rows, 2U);
  EXPECT_EQ(block.data[0], 1.0);
  EXPECT_EQ(block.data[3], 4.0);
}

TEST(pipeline, run_is_deterministic_and_reentrant) {
  owned_table<> t({at(d0, 9, 0), at(d0, 11, 0), at(d0, 10, 0)});
  t.key("k", {1, 1, 2}).value<double>("v", {1, std::nullopt, 3});
  EXPECT_EQ(rows_of(reference_job.run(t.view())), rows_of(reference_job.run(t.view())));
}

}  // namespace

// Stage 6's packing (16 statuses at a time where the CPU allows) against one status at a
// time, on random statuses, lengths and byte ranges: the same bitmaps and counts.
TEST(assemble, pack_and_count_equals_one_cell_at_a_time) {
  std::mt19937_64 rng(61);
  for (int trial = 0; trial < 3000; ++trial) {
    const bool long_run = trial % 100 == 0;  // (past 255 steps: the lane counts fold)
    const std::size_t n = long_run ? 4000 + rng() % 20000 : rng() % 300;
    std::vector<tsfill::cell_status> status(n);
    for (auto& s : status) s = static_cast<tsfill::cell_status>(rng() % tsfill::cell_status_count);
    const std::size_t bytes = (n + 7) / 8;
    std::vector<std::uint8_t> original(bytes, 0xAA), filled(bytes, 0x55);
    tsfill::column_stats stats{};
    // Split into ranges of random byte lengths, as the engine's tasks are.
    for (std::size_t b = 0; b < bytes;) {
      const std::size_t e = std::min(bytes, b + 1 + rng() % (long_run ? 3000 : 5));
      tsfill::detail::pack_and_count(status.data(), n, b, e, original.data(), filled.data(), stats);
      b = e;
    }
    std::size_t counts[tsfill::cell_status_count] = {};
    for (std::size_t i = 0; i < n; ++i) {
      const auto s = static_cast<int>(status[i]);
      ++counts[s];
      ASSERT_EQ(tsfill::bit_is_set(original.data(), i), s == 1)
          << "trial " << trial << " cell " << i;
      ASSERT_EQ(tsfill::bit_is_set(filled.data(), i), s != 0) << "trial " << trial << " cell " << i;
    }
    for (std::size_t i = n; i < bytes * 8; ++i) {  // (bits past the end stay clear)
      ASSERT_FALSE(tsfill::bit_is_set(original.data(), i));
      ASSERT_FALSE(tsfill::bit_is_set(filled.data(), i));
    }
    for (int s = 0; s < tsfill::cell_status_count; ++s)
      ASSERT_EQ(stats.cells[static_cast<std::size_t>(s)], counts[s]) << "trial " << trial;
  }
}

// The index stage's column scans (vectorised through target attributes) against a plain
// loop, for every integer type and instruction set, on random lengths and value ranges.
template <class T>
void check_column_scans(std::mt19937_64& rng) {
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = trial % 50 == 0 ? 5000 + rng() % 5000 : 1 + rng() % 200;
    std::vector<T> s(n);
    const bool narrow = trial % 3 == 0;  // (many ties and descents)
    for (T& x : s) x = narrow ? static_cast<T>(rng() % 4) : static_cast<T>(rng());
    if (trial % 7 == 0) std::sort(s.begin(), s.end());
    T lo = s[0], hi = s[0];
    std::size_t descents = 0;
    for (std::size_t i = 0; i < n; ++i) {
      lo = std::min(lo, s[i]);
      hi = std::max(hi, s[i]);
      if (i > 0 && s[i] < s[i - 1]) ++descents;
    }
    for (const int isa : {0, 1, 2}) {
      tsfill::detail::force_isa(isa);
      const auto with = tsfill::detail::scan_column<true>(s.data(), n);
      const auto without = tsfill::detail::scan_column<false>(s.data(), n);
      tsfill::detail::force_isa(-1);
      ASSERT_EQ(with.lo, lo) << "isa " << isa << " trial " << trial << " n " << n;
      ASSERT_EQ(with.hi, hi) << "isa " << isa << " trial " << trial << " n " << n;
      ASSERT_EQ(with.descents, descents) << "isa " << isa << " trial " << trial << " n " << n;
      ASSERT_EQ(without.lo, lo);
      ASSERT_EQ(without.hi, hi);
    }
  }
}

TEST(index, column_scans_equal_a_plain_loop) {
  std::mt19937_64 rng(71);
  check_column_scans<std::int8_t>(rng);
  check_column_scans<std::int16_t>(rng);
  check_column_scans<std::int32_t>(rng);
  check_column_scans<std::int64_t>(rng);
  check_column_scans<std::uint32_t>(rng);
  check_column_scans<std::uint64_t>(rng);
}

// Key encoding through the direct table (codes marked on threads, ranks equal to codes when
// every code of the range occurs) against a std::map of the key tuples: keys in tuple order,
// each row's index the rank of its tuple, whether all codes occur or not, across blocks.
TEST(index, small_key_ranges_encode_like_a_map_of_tuples) {
  std::mt19937_64 rng(73);
  for (int trial = 0; trial < 24; ++trial) {
    const std::size_t n = trial % 4 == 0 ? 700'000 : 1 + rng() % 3000;
    const bool all_codes = trial % 2 == 0;
    std::vector<std::int32_t> a(n), b(n);
    for (std::size_t i = 0; i < n; ++i) {
      a[i] = static_cast<std::int32_t>(rng() % 7) - 3;
      // Every tenor of 5 (all codes, once the rows are many) or a sparse few of a wide range.
      b[i] = all_codes ? static_cast<std::int32_t>(rng() % 5)
                       : static_cast<std::int32_t>(30 * (1 + rng() % 4));
    }
    if (all_codes)
      for (std::size_t i = 0; i < std::min<std::size_t>(n, 35); ++i) {
        a[i] = static_cast<std::int32_t>(i / 5) - 3;
        b[i] = static_cast<std::int32_t>(i % 5);
      }
    std::map<std::pair<std::int32_t, std::int32_t>, std::uint32_t> rank;
    for (std::size_t i = 0; i < n; ++i) rank[{a[i], b[i]}] = 0;
    std::uint32_t next = 0;
    for (auto& [tuple, r] : rank) r = next++;
    const std::vector<tsfill::key_column> cols{
        tsfill::key_column("a", std::span<const std::int32_t>(a)),
        tsfill::key_column("b", std::span<const std::int32_t>(b))};
    for (const unsigned threads : {1U, 2U}) {
      const tsfill::detail::encoded_keys k = tsfill::detail::encode_keys(cols, n, threads);
      ASSERT_EQ(k.count, rank.size()) << "trial " << trial;
      std::size_t r = 0;
      for (const auto& [tuple, unused] : rank) {
        ASSERT_EQ(k.values[0][r], tuple.first) << "trial " << trial << " key " << r;
        ASSERT_EQ(k.values[1][r], tuple.second) << "trial " << trial << " key " << r;
        ++r;
      }
      for (std::size_t i = 0; i < n; ++i)
        ASSERT_EQ(k.index[i], (rank[{a[i], b[i]}])) << "trial " << trial << " row " << i;
    }
  }
}

// The row passes of the index stage run in blocks of 2^18 rows (on threads when given): an
// input out of order only across a block edge (of time, or of partition) must be found out
// of order, and every block split and thread count must give the shuffled input's result.
const std::vector<std::size_t>& sorted_rows(std::size_t n) {
  static std::vector<std::size_t> rows;
  if (rows.size() != n) {
    rows.resize(n);
    std::iota(rows.begin(), rows.end(), 0U);
  }
  return rows;
}

TEST(pipeline, inputs_out_of_order_only_at_a_block_edge_are_noticed) {
  constexpr std::size_t n = 600'000, edge = std::size_t{1} << 18;
  std::mt19937_64 rng(23);
  std::vector<std::int64_t> ts(n), keys(n);
  std::vector<std::optional<double>> vals(n);
  for (std::size_t i = 0; i < n; ++i) {
    ts[i] = day_ns(d0) + static_cast<std::int64_t>(i) * 1'000'000'000;  // 1 s apart: ~7 days
    keys[i] = static_cast<std::int64_t>(i % 50);
    vals[i] = opt{static_cast<double>(i)};
  }
  // The rows on either side of each edge share a key (and a slot): which of the two is the
  // latest decides the cell.
  for (const std::size_t at_edge : {edge, 2 * edge}) keys[at_edge] = keys[at_edge - 1];
  auto run = [&](const std::vector<std::size_t>& order, unsigned threads) {
    std::vector<std::int64_t> t2, k2;
    std::vector<std::optional<double>> v2;
    for (const std::size_t i : order) {
      t2.push_back(ts[i]);
      k2.push_back(keys[i]);
      v2.push_back(vals[i]);
    }
    owned_table<> t(t2);
    t.key("k", k2).value<double>("v", v2);
    tsfill::run_options o;
    o.threads = threads;
    return rows_of(reference_job.run(t.view(), o));
  };
  std::vector<std::size_t> shuffled(n);
  std::iota(shuffled.begin(), shuffled.end(), 0U);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const auto want = run(shuffled, 1);
  for (const std::size_t at_edge : {edge, 2 * edge}) {
    // Out of time order across the edge only (the later row of the cell first).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::swap(order[at_edge - 1], order[at_edge]);
    for (const unsigned threads : {1U, 2U}) EXPECT_EQ(run(order, threads), want) << at_edge;
    // Out of partition order across the edge only: the last at_edge rows (later days)
    // first, then the rest, each in order. (Whether rows are moved into day order first
    // changes only where they are read from: the result must be the same either way.)
    std::rotate_copy(std::begin(sorted_rows(n)),
                     std::begin(sorted_rows(n)) + static_cast<std::ptrdiff_t>(n - at_edge),
                     std::end(sorted_rows(n)), order.begin());
    for (const unsigned threads : {1U, 2U}) EXPECT_EQ(run(order, threads), want) << at_edge;
  }
  std::vector<std::size_t> sorted(n);
  std::iota(sorted.begin(), sorted.end(), 0U);
  EXPECT_EQ(run(sorted, 2), want);
}
