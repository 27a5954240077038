// Fill policies on single segments, by hand: each option's meaning, and the fast LOCF/NOCB
// kernels against the general gap kernel.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

namespace {

using namespace std::chrono_literals;
using tsfill::cell_status;
using opt = std::optional<double>;
constexpr auto N = std::nullopt;

// A dense segment with slots 0..n-1, one tick apart (ticks = seconds here).
struct segment_data {
  std::vector<double> original;
  std::vector<double> filled;
  std::vector<cell_status> status;
  std::vector<std::int32_t> source;
  std::vector<std::int64_t> time;

  explicit segment_data(const std::vector<opt>& v, std::int64_t step = 1) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      original.push_back(v[i].value_or(std::numeric_limits<double>::quiet_NaN()));
      status.push_back(v[i] ? cell_status::observed : cell_status::missing);
      time.push_back(static_cast<std::int64_t>(i) * step);
    }
    filled.assign(v.size(), -999);
    source.assign(v.size(), -999);
  }
  tsfill::fill_segment<double> seg(bool with_source) {
    return {original.data(),
            filled.data(),
            status.data(),
            with_source ? source.data() : nullptr,
            time.data(),
            nullptr,
            0,
            original.size()};
  }
  std::vector<opt> result() const {
    std::vector<opt> out;
    for (std::size_t i = 0; i < filled.size(); ++i)
      out.push_back(status[i] == cell_status::missing ? opt{} : opt{filled[i]});
    return out;
  }
};

template <class Policy>
std::vector<opt> run_fill(const Policy& p, const std::vector<opt>& in) {
  segment_data d(in);
  p.bind(tsfill::tick_period{1, 1}).fill(d.seg(true));
  return d.result();
}

TEST(fill, forward_and_backward) {
  EXPECT_EQ(run_fill(tsfill::fill::forward{}, {N, 1.0, N, N, 4.0, N}),
            (std::vector<opt>{N, 1.0, 1.0, 1.0, 4.0, 4.0}));
  EXPECT_EQ(run_fill(tsfill::fill::backward{}, {N, 1.0, N, N, 4.0, N}),
            (std::vector<opt>{1.0, 1.0, 4.0, 4.0, 4.0, N}));
}

TEST(fill, limit_counts_slots_from_the_source) {
  EXPECT_EQ(run_fill(tsfill::fill::forward{.limit = 2}, {1.0, N, N, N, 5.0}),
            (std::vector<opt>{1.0, 1.0, 1.0, N, 5.0}));
  EXPECT_EQ(run_fill(tsfill::fill::backward{.limit = 1}, {1.0, N, N, N, 5.0}),
            (std::vector<opt>{1.0, N, N, 5.0, 5.0}));
}

TEST(fill, max_age_is_time_not_slots) {
  // Slots 1 s apart here: max_age 2s fills two slots.
  EXPECT_EQ(run_fill(tsfill::fill::forward{.max_age = 2s}, {1.0, N, N, N}),
            (std::vector<opt>{1.0, 1.0, 1.0, N}));
}

TEST(fill, all_or_nothing_leaves_long_gaps_untouched) {
  const tsfill::fill::forward f{.limit = 2, .all_or_nothing = true};
  EXPECT_EQ(run_fill(f, {1.0, N, N, 4.0, N, N, N, 8.0}),
            (std::vector<opt>{1.0, 1.0, 1.0, 4.0, N, N, N, 8.0}));
  const tsfill::fill::linear l{.limit = 2, .all_or_nothing = true};
  EXPECT_EQ(run_fill(l, {0.0, N, N, 3.0, N, N, N, 7.0}),
            (std::vector<opt>{0.0, 1.0, 2.0, 3.0, N, N, N, 7.0}));
}

TEST(fill, limit_area) {
  const std::vector<opt> in = {N, 1.0, N, 3.0, N};
  EXPECT_EQ(run_fill(tsfill::fill::forward{.area = tsfill::limit_area::inside}, in),
            (std::vector<opt>{N, 1.0, 1.0, 3.0, N}));
  EXPECT_EQ(run_fill(tsfill::fill::forward{.area = tsfill::limit_area::outside}, in),
            (std::vector<opt>{N, 1.0, N, 3.0, 3.0}));
  EXPECT_EQ(run_fill(tsfill::fill::constant{.value = 0, .area = tsfill::limit_area::outside}, in),
            (std::vector<opt>{0.0, 1.0, N, 3.0, 0.0}));
}

TEST(fill, linear_never_extrapolates) {
  EXPECT_EQ(run_fill(tsfill::fill::linear{}, {N, 0.0, N, N, 3.0, N}),
            (std::vector<opt>{N, 0.0, 1.0, 2.0, 3.0, N}));
}

TEST(fill, linear_by_time_on_uneven_slots) {
  segment_data d({0.0, N, 10.0});
  d.time = {0, 9, 10};  // e.g. calendar slots of different lengths
  tsfill::fill::linear{.by = tsfill::axis::time}.bind({1, 1}).fill(d.seg(false));
  EXPECT_DOUBLE_EQ(d.filled[1], 9.0);
  segment_data e({0.0, N, 10.0});
  e.time = {0, 9, 10};
  tsfill::fill::linear{}.bind({1, 1}).fill(e.seg(false));
  EXPECT_DOUBLE_EQ(e.filled[1], 5.0);  // by slot position
}

TEST(fill, linear_int64_rounds_half_away_from_zero_exactly) {
  std::vector<std::int64_t> orig = {0, 0, 3, -3, 0, INT64_MAX - 1};
  std::vector<std::int64_t> filled(6);
  std::vector<cell_status> st = {cell_status::observed, cell_status::missing,
                                 cell_status::observed, cell_status::observed,
                                 cell_status::missing,  cell_status::observed};
  std::vector<std::int64_t> time = {0, 1, 2, 3, 4, 5};
  // Between 0 and 3 at x=1 of 2: 1.5 -> 2. Between -3 and INT64_MAX-1: exact, no overflow.
  tsfill::fill::linear{}.bind({1, 1}).fill(tsfill::fill_segment<std::int64_t>{
      orig.data(), filled.data(), st.data(), nullptr, time.data(), nullptr, 0, 6});
  EXPECT_EQ(filled[1], 2);
  // -3 + round((2^63 + 1) / 2) = -3 + 2^62 + 1
  EXPECT_EQ(filled[4], 4611686018427387902);
}

TEST(fill, nearest_ties_go_to_the_earlier_observation) {
  EXPECT_EQ(run_fill(tsfill::fill::nearest{}, {1.0, N, N, 4.0}),
            (std::vector<opt>{1.0, 1.0, 4.0, 4.0}));
  EXPECT_EQ(run_fill(tsfill::fill::nearest{}, {1.0, N, 3.0}), (std::vector<opt>{1.0, 1.0, 3.0}));
  EXPECT_EQ(run_fill(tsfill::fill::nearest{}, {N, 2.0, N}), (std::vector<opt>{2.0, 2.0, 2.0}));
}

TEST(fill, constant_and_none) {
  EXPECT_EQ(run_fill(tsfill::fill::constant{.value = -1, .limit = 1}, {N, N, 2.0, N}),
            (std::vector<opt>{-1.0, N, 2.0, -1.0}));
  EXPECT_EQ(run_fill(tsfill::fill::none{}, {N, 1.0, N}), (std::vector<opt>{N, 1.0, N}));
}

TEST(fill, statuses_and_source_offsets) {
  segment_data d({N, 1.0, N, N, 4.0});
  tsfill::fill::nearest{}.bind({1, 1}).fill(d.seg(true));
  EXPECT_EQ(d.status, (std::vector<cell_status>{cell_status::backward, cell_status::observed,
                                                cell_status::forward, cell_status::backward,
                                                cell_status::observed}));
  EXPECT_EQ(d.source, (std::vector<std::int32_t>{-1, 0, 1, -1, 0}));
}

TEST(fill, fill_any_dispatches_at_run_time) {
  const tsfill::fill::any f = tsfill::fill::backward{};
  EXPECT_EQ(run_fill(f, {N, 1.0}), (std::vector<opt>{1.0, 1.0}));
  EXPECT_EQ(run_fill(tsfill::fill::any{}, {1.0, N}), (std::vector<opt>{1.0, 1.0}));  // forward
}

// The fast LOCF/NOCB kernels must agree with the general gap kernel (which they bypass)
// over sizes 0..40, all-missing, none-missing and random patterns.
template <class T>
void kernels_agree(std::uint32_t seed) {
  std::mt19937 rng(seed);
  for (std::size_t n = 0; n <= 40; ++n) {
    for (int pattern = 0; pattern < 8; ++pattern) {
      std::vector<T> orig(n);
      std::vector<cell_status> st(n);
      for (std::size_t i = 0; i < n; ++i) {
        const bool valid = pattern == 0 ? false : pattern == 1 ? true : rng() % 3 != 0;
        orig[i] = valid ? static_cast<T>(rng() % 100) : tsfill::null_placeholder<T>();
        st[i] = valid ? cell_status::observed : cell_status::missing;
      }
      std::vector<std::int64_t> time(n);
      for (std::size_t i = 0; i < n; ++i) time[i] = static_cast<std::int64_t>(i);
      for (const bool forward : {true, false}) {
        std::vector<T> fast(n + 1, T{42}), general(n + 1, T{42});  // sentinel past the end
        std::vector<cell_status> st_fast = st, st_general = st;
        std::vector<std::int32_t> src(n);
        const tsfill::fill::any policy = forward ? tsfill::fill::any(tsfill::fill::forward{})
                                                 : tsfill::fill::any(tsfill::fill::backward{});
        const auto f = policy.bind({1, 1});
        f.fill(tsfill::fill_segment<T>{orig.data(), fast.data(), st_fast.data(), nullptr,
                                       time.data(), nullptr, 0, n});
        f.fill(tsfill::fill_segment<T>{orig.data(), general.data(), st_general.data(), src.data(),
                                       time.data(), nullptr, 0, n});
        ASSERT_EQ(st_fast, st_general) << "n=" << n << " pattern " << pattern;
        for (std::size_t i = 0; i < n; ++i) {
          if (st_fast[i] == cell_status::missing) continue;
          ASSERT_EQ(fast[i], general[i]) << "n=" << n << " i=" << i;
        }
        EXPECT_EQ(fast[n], T{42});
        EXPECT_EQ(general[n], T{42});
      }
    }
  }
}

TEST(fill, fast_kernels_match_the_gap_kernel) {
  kernels_agree<double>(1);
  kernels_agree<float>(2);
  kernels_agree<std::int64_t>(3);
}

}  // namespace
