// Bad arguments get a tsfill::error whose message names the argument; never UB.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "../support/table.hpp"

namespace {

using namespace std::chrono_literals;
using tsfill_test::owned_table;

// Runs `f`, expects a tsfill error of type E whose message contains `needle`.
template <class E = tsfill::invalid_argument, class F>
void expect_error(F&& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("tsfill: ", 0), 0U) << e.what();
  }
}

const tsfill::pipeline<> job{.slot = tsfill::slot::fixed{30min}};

TEST(errors, value_column_length_mismatch) {
  const std::vector<std::int64_t> ts = {0, 1, 2};
  const std::vector<double> v = {1, 2};
  tsfill::table_view<> t{ts, {}, {tsfill::value_column("price", v)}};
  expect_error([&] { (void)job.run(t); }, "value column 'price' has 2 rows, the time column has 3");
}

TEST(errors, key_column_length_mismatch) {
  const std::vector<std::int64_t> ts = {0, 1, 2};
  const std::vector<std::int32_t> k = {1, 2, 3, 4};
  tsfill::table_view<> t{ts, {tsfill::key_column("ticker", k)}, {}};
  expect_error([&] { (void)job.run(t); }, "key column 'ticker' has 4 rows");
}

TEST(errors, bitmap_too_short) {
  std::vector<std::int64_t> ts(9, 0);
  const std::vector<double> v(9, 1.0);
  const std::vector<std::uint8_t> bits = {0xFF};  // 8 bits for 9 rows
  tsfill::table_view<> t{ts, {}, {tsfill::value_column("vol", v, bits)}};
  expect_error([&] { (void)job.run(t); },
               "validity bitmap of value column 'vol' has 1 bytes, 2 are needed");
  // With a bit offset, the same bitmap is too short even for 8 rows.
  ts.resize(8);
  const std::vector<double> v8(8, 1.0);
  tsfill::table_view<> u{ts, {}, {tsfill::value_column("vol", v8, bits, 3)}};
  expect_error([&] { (void)job.run(u); }, "at bit offset 3");
}

TEST(errors, duplicate_and_empty_column_names) {
  const std::vector<std::int64_t> ts = {0};
  const std::vector<double> v = {1};
  const std::vector<std::int32_t> k = {1};
  tsfill::table_view<> t{ts, {tsfill::key_column("x", k)}, {tsfill::value_column("x", v)}};
  expect_error([&] { (void)job.run(t); }, "column name 'x' is used twice");
  tsfill::table_view<> u{ts, {}, {tsfill::value_column("", v)}};
  expect_error([&] { (void)job.run(u); }, "value column with an empty name");
}

TEST(errors, zero_and_negative_slot_width) {
  owned_table<> t({0});
  expect_error([&] { (void)tsfill::pipeline{.slot = tsfill::slot::fixed{0min}}.run(t.view()); },
               "slot::fixed::width must be positive, got 0s");
  expect_error([&] { (void)tsfill::pipeline{.slot = tsfill::slot::fixed{-5min}}.run(t.view()); },
               "slot::fixed::width must be positive, got -5min");
  expect_error([&] { (void)tsfill::pipeline<>{}.run(t.view()); }, "slot::fixed::width");
}

TEST(errors, slot_width_not_a_whole_number_of_ticks) {
  owned_table<std::chrono::seconds> t({0});
  expect_error([&] { (void)tsfill::pipeline{.slot = tsfill::slot::fixed{1500ms}}.run(t.view()); },
               "slot::fixed::width = 1500ms is not a whole number of input ticks (1s)");
}

TEST(errors, contradictory_fill_options) {
  owned_table<> t({0});
  t.value<double>("v", {1.0});
  auto with = [&](auto fill) {
    return [&t, fill] {
      (void)tsfill::pipeline{.slot = tsfill::slot::fixed{30min}, .fill = fill}.run(t.view());
    };
  };
  expect_error(with(tsfill::fill::forward{.limit = 0}),
               "fill::forward::limit must be positive, got 0");
  expect_error(with(tsfill::fill::backward{.limit = -2}), "fill::backward::limit must be positive");
  expect_error(with(tsfill::fill::forward{.max_age = -1h}),
               "fill::forward::max_age must be positive, got -1h");
  expect_error(with(tsfill::fill::forward{.all_or_nothing = true}),
               "fill::forward::all_or_nothing needs a limit or a max_age");
  expect_error(with(tsfill::fill::linear{.area = tsfill::limit_area::outside}),
               "fill::linear::area = outside fills nothing");
  owned_table<std::chrono::seconds> s({0});
  s.value<double>("v", {1.0});
  expect_error(
      [&] {
        (void)tsfill::pipeline{.slot = tsfill::slot::fixed{1min},
                               .fill = tsfill::fill::nearest{.max_age = 10ms}}
            .run(s.view());
      },
      "fill::nearest::max_age = 10ms is not a whole number of input ticks");
}

TEST(errors, integer_constant_for_int64_column) {
  owned_table<> t({0});
  t.value<std::int64_t>("n", {1});
  expect_error(
      [&] {
        (void)tsfill::pipeline{.slot = tsfill::slot::fixed{30min},
                               .fill = tsfill::fill::constant{.value = 0.5}}
            .run(t.view());
      },
      "fill::constant::value 0.500000 is not an integer, but column 'n' is int64");
}

TEST(errors, fill_count_must_match_columns) {
  owned_table<> t({0});
  t.value<double>("v", {1.0});
  const std::vector<tsfill::fill::forward> fills(2);
  expect_error([&] { (void)job.run(t.view(), std::span<const tsfill::fill::forward>(fills)); },
               "pipeline::run got 2 fill policies for 1 value columns");
}

TEST(errors, reject_names_the_rows_and_key) {
  owned_table<> t({0, 60'000'000'000LL, 120'000'000'000LL});
  t.key("ticker", {7, 8, 7}).value<double>("v", {1, 2, 3});
  const tsfill::pipeline rejecting{.slot = tsfill::slot::fixed{30min},
                                   .dedup = tsfill::dedup::reject{}};
  try {
    (void)rejecting.run(t.view());
    ADD_FAILURE() << "no error";
  } catch (const tsfill::duplicate_error& e) {
    EXPECT_EQ(e.first_row, 0U);
    EXPECT_EQ(e.second_row, 2U);
    EXPECT_NE(std::string(e.what()).find(
                  "rows 0 and 2 (0-based) fall into the same slot for key ticker=7"),
              std::string::npos)
        << e.what();
  }
}

TEST(errors, reject_reports_the_first_duplicate_on_any_thread_count) {
  // Duplicates on three days; partitions are scattered in parallel, but the error is the
  // first duplicate in row order, as on one thread.
  constexpr std::int64_t day = 86'400'000'000'000LL;
  owned_table<> t({0, 1, day, day + 1, 2 * day, 2 * day + 1});
  t.key("ticker", {1, 2, 3, 3, 4, 4}).value<double>("v", {1, 2, 3, 4, 5, 6});
  const tsfill::pipeline rejecting{.slot = tsfill::slot::fixed{30min},
                                   .dedup = tsfill::dedup::reject{}};
  for (const unsigned threads : {1U, 2U, 3U}) {
    tsfill::run_options options;
    options.threads = threads;
    try {
      (void)rejecting.run(t.view(), options);
      ADD_FAILURE() << "no error with " << threads << " threads";
    } catch (const tsfill::duplicate_error& e) {
      EXPECT_EQ(e.first_row, 2U) << threads << " threads";
      EXPECT_EQ(e.second_row, 3U) << threads << " threads";
    }
  }
}

TEST(errors, range_end_before_start) {
  owned_table<> t({0});
  const tsfill::pipeline bad{.slot = tsfill::slot::fixed{30min},
                             .grid = tsfill::grid::range{std::chrono::sys_days{2024y / 3 / 2},
                                                         std::chrono::sys_days{2024y / 3 / 1}}};
  expect_error([&] { (void)bad.run(t.view()); },
               "grid::range::end must be after grid::range::start");
}

TEST(errors, enormous_grid_is_refused) {
  // A stray timestamp 50 years away with partition::none would make 876,000 slots per key.
  owned_table<> t({0, tsfill_test::day_ns(365 * 50)});
  tsfill::run_options o;
  o.max_cells = 100'000;
  const tsfill::pipeline wide{.slot = tsfill::slot::fixed{30min},
                              .partition = tsfill::partition::none{}};
  expect_error([&] { (void)wide.run(t.view(), o); }, "more than max_cells = 100000 cells");
}

TEST(errors, grids_beyond_the_memory_limit_are_refused_before_allocation) {
  // 50 years of 30-minute slots for one key: 876,001 cells of 8 bytes (the slot time; the
  // table has no value column): 7,008,008 bytes, plus 64 for the segment.
  owned_table<> t({0, tsfill_test::day_ns(365 * 50)});
  const tsfill::pipeline wide{.slot = tsfill::slot::fixed{30min},
                              .partition = tsfill::partition::none{}};
  tsfill::run_options o;
  o.max_bytes = 7'008'000;
  try {
    (void)wide.run(t.view(), o);
    FAIL() << "no resource_error";
  } catch (const tsfill::resource_error& e) {
    EXPECT_EQ(e.bytes_allowed, 7'008'000U);
    EXPECT_GT(e.bytes_needed, 7'008'000U);
    EXPECT_NE(std::string(e.what()).find("more than the 0.0 GB allowed"), std::string::npos)
        << e.what();
  }
  o.max_bytes = 7'008'072;  // just enough: runs, and the result is the one without a limit
  const tsfill::result limited = wide.run(t.view(), o);
  EXPECT_EQ(limited.rows(), 876'001U);
  EXPECT_EQ(limited.rows(), wide.run(t.view()).rows());
}

TEST(errors, timestamps_at_the_int64_limit) {
  owned_table<> t({INT64_MIN});
  expect_error([&] { (void)job.run(t.view()); }, "too close to the int64 minimum");
  owned_table<> u({INT64_MAX});  // the far end is fine: floor never overflows upward
  EXPECT_EQ(job.run(u.view()).rows(), 1U);
}

TEST(errors, partition_offset_must_be_shorter_than_a_day) {
  owned_table<> t({0});
  const tsfill::pipeline bad{.slot = tsfill::slot::fixed{30min},
                             .partition = tsfill::partition::utc_day{25h}};
  expect_error([&] { (void)bad.run(t.view()); },
               "partition::utc_day::offset must be shorter than a day");
}

TEST(errors, wrong_value_type_access) {
  owned_table<> t({0});
  t.value<double>("v", {1.0});
  const tsfill::result r = job.run(t.view());
  expect_error([&] { (void)r.value(0).filled<std::int64_t>(); },
               "column 'v' holds float64 values, not int64");
  expect_error([&] { (void)r.value("nope"); }, "the result has no value column 'nope'");
}

}  // namespace
