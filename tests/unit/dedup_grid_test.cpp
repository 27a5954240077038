// Dedup and grid policies by hand (the differential tests cover the combinations).
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "../support/table.hpp"

namespace {

using namespace std::chrono_literals;
using tsfill::cell_status;
using tsfill_test::min_ns;
using tsfill_test::owned_table;
using tsfill_test::rows_of;
using opt = std::optional<double>;

template <class D>
std::vector<opt> originals(const D& dedup, const owned_table<>& t) {
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{1h}, .dedup = dedup};
  std::vector<opt> out;
  for (const auto& r : rows_of(job.run(t.view()))) out.push_back(r.original);
  return out;
}

// Three rows in one slot (times 10, 30, 20 minutes) and one in the next.
owned_table<> three_in_one() {
  owned_table<> t({min_ns(10), min_ns(30), min_ns(20), min_ns(70)});
  t.value<double>("v", {1.0, std::nullopt, 4.0, 9.0});
  return t;
}

TEST(dedup, row_selection) {
  EXPECT_EQ(originals(tsfill::dedup::last{}, three_in_one()), (std::vector<opt>{opt{}, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::first{}, three_in_one()), (std::vector<opt>{1.0, 9.0}));
}

TEST(dedup, value_selection_skips_nulls) {
  EXPECT_EQ(originals(tsfill::dedup::last_valid{}, three_in_one()), (std::vector<opt>{4.0, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::first_valid{}, three_in_one()), (std::vector<opt>{1.0, 9.0}));
}

TEST(dedup, aggregations) {
  EXPECT_EQ(originals(tsfill::dedup::mean{}, three_in_one()), (std::vector<opt>{2.5, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::min{}, three_in_one()), (std::vector<opt>{1.0, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::max{}, three_in_one()), (std::vector<opt>{4.0, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::sum{}, three_in_one()), (std::vector<opt>{5.0, 9.0}));
  EXPECT_EQ(originals(tsfill::dedup::count{}, three_in_one()), (std::vector<opt>{2.0, 1.0}));
}

TEST(dedup, count_of_only_nulls_is_zero_and_mean_is_null) {
  owned_table<> t({min_ns(10), min_ns(20)});
  t.value<double>("v", {std::nullopt, std::nullopt});
  EXPECT_EQ(originals(tsfill::dedup::count{}, t), (std::vector<opt>{0.0}));
  EXPECT_EQ(originals(tsfill::dedup::mean{}, t), (std::vector<opt>{opt{}}));
}

TEST(dedup, nan_propagates_through_min_and_max) {
  owned_table<> t({min_ns(10), min_ns(20), min_ns(30)});
  t.value<double>("v", {1.0, std::numeric_limits<double>::quiet_NaN(), 3.0});
  EXPECT_TRUE(std::isnan(*originals(tsfill::dedup::max{}, t)[0]));
  EXPECT_TRUE(std::isnan(*originals(tsfill::dedup::min{}, t)[0]));
}

TEST(dedup, aggregation_output_types) {
  owned_table<> t({min_ns(10), min_ns(20)});
  t.value<std::int64_t>("n", {1, 2}).value<float>("f", {1.0F, 2.0F});
  const tsfill::pipeline mean{.slot = tsfill::slot::fixed{1h}, .dedup = tsfill::dedup::mean{}};
  const tsfill::result r = mean.run(t.view());
  EXPECT_EQ(r.value("n").type(), tsfill::value_type::float64);
  EXPECT_EQ(r.value("n").original<double>()[0], 1.5);
  EXPECT_EQ(r.value("f").type(), tsfill::value_type::float32);
  const tsfill::pipeline count{.slot = tsfill::slot::fixed{1h}, .dedup = tsfill::dedup::count{}};
  EXPECT_EQ(count.run(t.view()).value("f").type(), tsfill::value_type::int64);
}

// A user-defined aggregation: the spread (max - min) of a slot.
struct spread {
  using category = tsfill::aggregation_tag;
  template <class T>
  struct accumulator {
    using result_type = double;
    double lo = 0, hi = 0;
    bool any = false;
    void add(T v) {
      const auto d = static_cast<double>(v);
      lo = any ? std::min(lo, d) : d;
      hi = any ? std::max(hi, d) : d;
      any = true;
    }
    bool has_value() const { return any; }
    double value() const { return hi - lo; }
  };
};

TEST(dedup, user_defined_aggregation) {
  EXPECT_EQ(originals(spread{}, three_in_one()), (std::vector<opt>{3.0, 0.0}));
}

TEST(grid, key_span_gives_each_key_its_own_range) {
  owned_table<> t({min_ns(0), min_ns(120), min_ns(60)});
  t.key("k", {1, 1, 2}).value<double>("v", {1.0, 2.0, 3.0});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{1h}, .grid = tsfill::grid::key_span{}};
  const tsfill::result r = job.run(t.view());
  ASSERT_EQ(r.segments().size(), 2U);
  EXPECT_EQ(r.segments()[0].size, 3U);
  EXPECT_EQ(r.segments()[1].size, 1U);
  const tsfill::pipeline span{.slot = tsfill::slot::fixed{1h}};
  EXPECT_EQ(span.run(t.view()).segments()[1].size, 3U);  // partition_span: uniform
}

TEST(grid, check_uniform_lists_the_partitions_whose_keys_differ) {
  owned_table<> t({min_ns(0), min_ns(120), min_ns(60), min_ns(1440 + 60), min_ns(1440 + 120)});
  t.key("k", {1, 1, 2, 1, 2}).value<double>("v", {1.0, 2.0, 3.0, 4.0, 5.0});
  const tsfill::pipeline span{.slot = tsfill::slot::fixed{1h}};
  const tsfill::uniformity_report good = tsfill::check_uniform(span.run(t.view()));
  EXPECT_EQ(good.partitions, 2U);
  EXPECT_TRUE(good.uniform());
  const tsfill::pipeline own{.slot = tsfill::slot::fixed{1h}, .grid = tsfill::grid::key_span{}};
  const tsfill::uniformity_report bad = tsfill::check_uniform(own.run(t.view()));
  ASSERT_EQ(bad.problems.size(), 1U);  // day 0: 3 slots for key 1, 1 for key 2; day 1 has 1 and 1
  EXPECT_EQ(bad.problems[0].partition, 0);
  EXPECT_EQ(bad.problems[0].keys, 2U);
  EXPECT_EQ(bad.problems[0].min_slots, 1U);
  EXPECT_EQ(bad.problems[0].max_slots, 3U);
  EXPECT_TRUE(tsfill::check_uniform(tsfill::result{}).uniform());  // empty: nothing to list
}

TEST(grid, observed_keeps_only_observed_slots) {
  owned_table<> t({min_ns(0), min_ns(120), min_ns(300)});
  t.value<double>("v", {1.0, std::nullopt, 5.0});
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{1h},
                             .grid = tsfill::grid::observed{},
                             .fill = tsfill::fill::linear{.by = tsfill::axis::time}};
  const auto rows = rows_of(job.run(t.view()));
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[1].slot, min_ns(120));
  EXPECT_EQ(rows[1].filled, 1.0 + 4.0 * 2.0 / 5.0);  // by time: 2h of 5h
  EXPECT_EQ(rows[1].status, cell_status::interpolated);
}

TEST(grid, range_drops_and_counts_rows_outside) {
  owned_table<> t({min_ns(0), min_ns(60), min_ns(600)});
  t.value<double>("v", {1.0, 2.0, 3.0});
  const tsfill::pipeline job{
      .slot = tsfill::slot::fixed{1h},
      .grid = tsfill::grid::range{std::chrono::sys_seconds{30min}, std::chrono::sys_seconds{3h}}};
  const tsfill::result r = job.run(t.view());
  // Slots starting in [00:30, 03:00): 01:00 and 02:00.
  ASSERT_EQ(r.rows(), 2U);
  EXPECT_EQ(r.slot_times()[0], min_ns(60));
  EXPECT_EQ(r.stats().rows_outside_grid, 2U);
}

TEST(slot, offset_and_origin) {
  owned_table<> t({min_ns(14), min_ns(16)});
  t.value<double>("v", {1.0, 2.0});
  const tsfill::pipeline shifted{.slot = tsfill::slot::fixed{.width = 1h, .offset = 15min}};
  const tsfill::result r = shifted.run(t.view());
  ASSERT_EQ(r.rows(), 2U);
  EXPECT_EQ(r.slot_times()[0], -min_ns(45));  // 23:15 the day before
  EXPECT_EQ(r.slot_times()[1], min_ns(15));
  EXPECT_EQ(r.segments()[0].partition, -1);  // a slot belongs to the day it starts in
  const tsfill::pipeline anchored{
      .slot = tsfill::slot::fixed{.width = 1h, .origin = std::chrono::sys_seconds{20min}}};
  EXPECT_EQ(anchored.run(t.view()).slot_times()[0], -min_ns(40));
}

TEST(slot, exact_durations) {
  EXPECT_EQ(tsfill::exact_duration(90min).to_string(), "90min");
  EXPECT_EQ(tsfill::exact_duration(std::chrono::hours(48)).to_string(), "2d");
  EXPECT_EQ(tsfill::exact_duration(1500ms).to_string(), "1500ms");
  EXPECT_EQ(tsfill::exact_duration(30min).in_ticks({1, 1'000'000'000}), 1'800'000'000'000LL);
  EXPECT_EQ(tsfill::exact_duration(1ms).in_ticks({1, 1}), std::nullopt);
  EXPECT_TRUE(tsfill::exact_duration(60min) == tsfill::exact_duration(1h));
}

TEST(keys, multi_column_keys_sort_lexicographically_with_any_integer_width) {
  const std::vector<std::int64_t> ts(6, 0);
  const std::vector<std::int8_t> a = {2, 1, 2, -1, 1, 2};
  const std::vector<std::uint64_t> b = {5, 9, 3, 0, 9, 5};
  const std::vector<double> v = {1, 2, 3, 4, 5, 6};
  tsfill::table_view<> t{
      ts, {tsfill::key_column("a", a), tsfill::key_column("b", b)}, {tsfill::value_column("v", v)}};
  const tsfill::result r = tsfill::pipeline{.slot = tsfill::slot::fixed{1h}}.run(t);
  EXPECT_EQ(r.key_column(0), (std::vector<std::int64_t>{-1, 1, 2, 2}));
  EXPECT_EQ(r.key_column(1), (std::vector<std::int64_t>{0, 9, 3, 5}));
  EXPECT_EQ(r.value(0).original<double>()[1], 5.0);  // (1, 9): rows 1 and 4, last wins
  EXPECT_EQ(r.value(0).original<double>()[3], 6.0);  // (2, 5): rows 0 and 5
}

TEST(keys, wide_key_ranges_use_the_hash_path) {
  const std::vector<std::int64_t> ts = {0, 0, 0};
  const std::vector<std::int64_t> k = {INT64_MAX, INT64_MIN, 0};
  const std::vector<double> v = {1, 2, 3};
  tsfill::table_view<> t{ts, {tsfill::key_column("k", k)}, {tsfill::value_column("v", v)}};
  const tsfill::result r = tsfill::pipeline{.slot = tsfill::slot::fixed{1h}}.run(t);
  EXPECT_EQ(r.key_column(0), (std::vector<std::int64_t>{INT64_MIN, 0, INT64_MAX}));
}

TEST(keys, dictionary_codes_follow_string_order) {
  const std::vector<std::string> tickers = {"MSFT", "AAPL", "MSFT", "IBM"};
  const tsfill::dictionary d = tsfill::dictionary::encode(tickers);
  EXPECT_EQ(d.words(), (std::vector<std::string>{"AAPL", "IBM", "MSFT"}));
  EXPECT_EQ(std::vector<std::int32_t>(d.codes().begin(), d.codes().end()),
            (std::vector<std::int32_t>{2, 0, 2, 1}));
  EXPECT_EQ(d.word(1), "IBM");
  EXPECT_THROW((void)d.word(3), tsfill::invalid_argument);
}

TEST(keys, dictionary_builder_streams_ids_then_sorted_codes) {
  tsfill::dictionary_builder b;
  std::vector<std::int32_t> ids;
  for (const char* w : {"MSFT", "AAPL", "MSFT", "IBM", ""}) ids.push_back(b.id_of(w));
  EXPECT_EQ(ids, (std::vector<std::int32_t>{0, 1, 0, 2, 3}));  // first-seen order
  EXPECT_EQ(b.words(), (std::vector<std::string>{"MSFT", "AAPL", "IBM", ""}));
  std::vector<std::int32_t> code_of_id;
  const tsfill::dictionary d = std::move(b).finish(code_of_id);
  EXPECT_EQ(d.words(), (std::vector<std::string>{"", "AAPL", "IBM", "MSFT"}));
  EXPECT_EQ(code_of_id, (std::vector<std::int32_t>{3, 1, 2, 0}));
  EXPECT_TRUE(d.codes().empty());
}

}  // namespace
