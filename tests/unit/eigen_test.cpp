// tsfill::eigen: a column-major matrix in, a Map of the filled block out, no copies.
#include <chrono>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/eigen.hpp>
#include <tsfill/tsfill.hpp>

namespace {

using namespace std::chrono_literals;

TEST(eigen, matrix_in_map_out) {
  const std::vector<std::int64_t> ts = {0, 3'600'000'000'000LL, 3 * 3'600'000'000'000LL};
  tsfill::eigen::matrix<double> x(3, 2);
  x << 1.0, 10.0,                                      //
      std::numeric_limits<double>::quiet_NaN(), 20.0,  //
      3.0, std::numeric_limits<double>::quiet_NaN();
  tsfill::table_view<> t{ts, {}, {}};
  tsfill::eigen::add_value_columns(t.values, x, {"a", "b"});
  ASSERT_EQ(t.values.size(), 2U);
  EXPECT_EQ(t.values[1].values<double>().data(), x.data() + 3);  // no copy

  tsfill::run_options o;
  o.nan_is_null = true;  // Eigen has no null: NaN marks missing
  const tsfill::result r = tsfill::pipeline{.slot = tsfill::slot::fixed{1h}}.run(t, o);
  const auto filled = tsfill::eigen::filled_matrix<double>(r);
  ASSERT_EQ(filled.rows(), 4);
  ASSERT_EQ(filled.cols(), 2);
  EXPECT_EQ(filled.data(), r.value("a").filled<double>().data());  // a view into the result
  EXPECT_EQ(filled(1, 0), 1.0);                                    // 01:00 forward-filled
  EXPECT_EQ(filled(2, 0), 1.0);                                    // 02:00 (no row)
  EXPECT_EQ(filled(3, 0), 3.0);
  EXPECT_EQ(filled(3, 1), 20.0);
  const auto original = tsfill::eigen::original_matrix<double>(r);
  EXPECT_TRUE(std::isnan(original(2, 0)));  // missing reads as NaN
  EXPECT_EQ(original(0, 1), 10.0);
}

TEST(eigen, a_block_of_whole_columns_and_a_map_work_too) {
  const std::vector<std::int64_t> ts = {0, 1};
  tsfill::eigen::matrix<float> x(2, 3);
  x << 1, 2, 3, 4, 5, 6;
  tsfill::table_view<> t{ts, {}, {}};
  tsfill::eigen::add_value_columns(t.values, x.rightCols(2), {"b", "c"});
  EXPECT_EQ(t.values[0].values<float>()[1], 5.0F);
  const Eigen::Map<const tsfill::eigen::matrix<float>> m(x.data(), 2, 3);
  EXPECT_THROW(tsfill::eigen::add_value_columns(t.values, m, {"only one name"}),
               tsfill::invalid_argument);
}

}  // namespace
