// batches.hpp: carry_out, key_universe_of, and the run_options that make a batch of
// partitions equal its part of one run (the randomized proof is in
// tests/differential/batches_test.cpp); here the worked example and each misuse.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "../support/table.hpp"

namespace {

using namespace std::chrono_literals;
using tsfill::cell_status;
using tsfill_test::day_ns;
using tsfill_test::min_ns;
using tsfill_test::owned_table;
using opt = std::optional<double>;

constexpr std::int64_t d0 = 19783;  // 2024-03-01
constexpr std::int64_t at(std::int64_t day, int h, int m) {
  return day_ns(day) + min_ns(h * 60 + m);
}

const tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, tsfill::dedup::last,
                       tsfill::grid::partition_span, tsfill::fill::forward>
    carrying_job{.slot = tsfill::slot::fixed{1h}, .fill = tsfill::fill::forward{.carry_in = true}};

TEST(batches, carry_out_seeds_the_next_batch) {
  // Day 0: key 1 observed at 09:00; day 1: key 1 only a null row. Run day by day.
  owned_table<> day0({at(d0, 9, 0), at(d0, 10, 0)});
  day0.key("k", {1, 2});
  day0.value<double>("v", {1.5, 7.0});
  owned_table<> day1({at(d0 + 1, 9, 0), at(d0 + 1, 10, 0)});
  day1.key("k", {1, 1});
  day1.value<double>("v", {opt{}, opt{}});

  const tsfill::result r0 = carrying_job.run(day0.view());
  const tsfill::carry_seed seed = tsfill::carry_out(r0);
  ASSERT_EQ(seed.entries, 2U);
  const std::size_t k1 = seed.find({1});
  ASSERT_NE(k1, tsfill::carry_seed::npos);
  EXPECT_EQ(seed.columns.at(0).has[k1], 1);
  EXPECT_EQ(std::get<0>(seed.columns.at(0).values)[k1].value, 1.5);
  EXPECT_EQ(std::get<0>(seed.columns.at(0).values)[k1].time, at(d0, 9, 0));

  tsfill::run_options seeded;
  seeded.carry_in = &seed;
  const tsfill::result r1 = carrying_job.run(day1.view(), seeded);
  ASSERT_EQ(r1.rows(), 2U);
  EXPECT_EQ(r1.value(0).status()[0], cell_status::forward);
  EXPECT_EQ(r1.value(0).filled<double>()[0], 1.5);
  // Without the seed nothing is carried.
  EXPECT_EQ(carrying_job.run(day1.view()).value(0).status()[0], cell_status::missing);

  // A key without an observation in the next batch keeps its entry.
  const tsfill::carry_seed next = tsfill::carry_out(r1, seed);
  EXPECT_EQ(std::get<0>(next.columns.at(0).values)[next.find({1})].value, 1.5);
  EXPECT_EQ(next.columns.at(0).has[next.find({2})], 1);
}

TEST(batches, key_universe_gives_range_grids_every_key) {
  const tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, tsfill::dedup::last,
                         tsfill::grid::range>
      job{.slot = tsfill::slot::fixed{6h},
          .grid = tsfill::grid::range{tsfill::instant(std::chrono::nanoseconds(day_ns(d0))),
                                      tsfill::instant(std::chrono::nanoseconds(day_ns(d0 + 2)))}};
  owned_table<> all({at(d0, 1, 0), at(d0 + 1, 1, 0)});
  all.key("k", {1, 2});
  all.value<double>("v", {1.0, 2.0});
  owned_table<> day1({at(d0 + 1, 1, 0)});
  day1.key("k", {2});
  day1.value<double>("v", {2.0});

  const auto all_view = all.view();
  const tsfill::key_universe universe = tsfill::key_universe_of(all_view.keys);
  ASSERT_EQ(universe.columns.size(), 1U);
  EXPECT_EQ(universe.columns[0].size(), 2U);

  tsfill::run_options batch;
  batch.first_partition = batch.last_partition = d0 + 1;
  batch.key_universe = &universe.columns;
  const tsfill::result r = job.run(day1.view(), batch);
  // Day 1 only, both keys, 4 slots each; without the universe only key 2.
  EXPECT_EQ(r.rows(), 8U);
  EXPECT_EQ(r.segments().front().partition, d0 + 1);
  batch.key_universe = nullptr;
  EXPECT_EQ(job.run(day1.view(), batch).rows(), 4U);
  // Without the window, the range's day 0 too.
  EXPECT_EQ(job.run(day1.view()).rows(), 8U);
}

TEST(batches, misuse_is_named) {
  owned_table<> t({at(d0, 9, 0)});
  t.key("k", {1});
  t.value<double>("v", {1.0});
  const tsfill::result r = carrying_job.run(t.view());

  // A seed of another value type for the same column name.
  owned_table<> ints({at(d0, 9, 0)});
  ints.key("k", {1});
  ints.value<std::int64_t>("v", {std::optional<std::int64_t>(3)});
  const tsfill::carry_seed int_seed = tsfill::carry_out(carrying_job.run(ints.view()));
  tsfill::run_options o;
  o.carry_in = &int_seed;
  try {
    (void)carrying_job.run(t.view(), o);
    FAIL() << "no error";
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "tsfill: run_options::carry_in: the seed's column 'v' holds int64 values, the run's "
              "float64");
  }
  EXPECT_THROW((void)tsfill::carry_out(r, int_seed), tsfill::invalid_argument);

  // A seed with another number of key columns.
  owned_table<> two({at(d0, 9, 0)});
  two.key("k", {1});
  two.key("j", {1});
  two.value<double>("v", {1.0});
  const tsfill::carry_seed two_seed = tsfill::carry_out(carrying_job.run(two.view()));
  o.carry_in = &two_seed;
  try {
    (void)carrying_job.run(t.view(), o);
    FAIL() << "no error";
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "tsfill: run_options::carry_in: the seed has 2 key columns, the input 1");
  }

  // A key universe whose column is named or typed unlike the input's.
  std::vector<std::int32_t> narrow = {1, 2};
  const std::vector<tsfill::key_column> wrong_type = {tsfill::key_column("k", narrow)};
  tsfill::run_options u;
  u.key_universe = &wrong_type;
  try {
    (void)carrying_job.run(t.view(), u);
    FAIL() << "no error";
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "tsfill: run_options::key_universe column 0 must be 'k' of the input key column's type, "
        "with 2 rows like the first");
  }
}

}  // namespace
