// column_fill.hpp: the whole-column fills (public API over the pipeline's kernels), against
// obvious loops, at every instruction set the machine has, with sliced bitmaps and misuse.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/column_fill.hpp>

namespace {

struct isa_scope {
  explicit isa_scope(int i) { tsfill::detail::force_isa(i); }
  ~isa_scope() { tsfill::detail::force_isa(-1); }
};

bool bit(const std::vector<std::uint8_t>& b, std::size_t i) {
  return tsfill::bit_is_set(b.data(), i);
}

TEST(column_fill, forward_backward_linear_match_obvious_loops) {
  std::mt19937_64 rng(7);
  for (int isa = 0; isa <= static_cast<int>(tsfill::detail::supported_isa()); ++isa) {
    const isa_scope scope(isa);
    for (const std::size_t n : {0UL, 1UL, 7UL, 8UL, 9UL, 63UL, 200UL}) {
      for (const std::size_t offset : {0UL, 3UL}) {
        std::vector<double> in(n);
        std::vector<std::uint8_t> valid((n + offset + 7) / 8 + 1, 0);
        for (std::size_t i = 0; i < n; ++i) {
          in[i] = static_cast<double>(rng() % 100);
          if (rng() % 3 != 0)
            valid[(i + offset) / 8] |= static_cast<std::uint8_t>(1U << ((i + offset) % 8));
        }
        auto v = [&](std::size_t i) { return tsfill::bit_is_set(valid.data(), i + offset); };
        std::vector<double> f(n), b(n), l(n);
        std::vector<std::uint8_t> fv((n + 7) / 8), bv((n + 7) / 8), lv((n + 7) / 8);
        tsfill::forward_fill<double>(in, valid, f, fv, offset);
        tsfill::backward_fill<double>(in, valid, b, bv, offset);
        tsfill::linear_fill<double>(in, valid, l, lv, offset);
        for (std::size_t i = 0; i < n; ++i) {
          std::size_t p = i + 1, q = i;
          while (p > 0 && !v(p - 1)) --p;  // p - 1: last valid at or before i
          while (q < n && !v(q)) ++q;      // q: first valid at or after i
          const std::string at = "isa " + std::to_string(isa) + " n " + std::to_string(n) +
                                 " offset " + std::to_string(offset) + " i " + std::to_string(i);
          ASSERT_EQ(bit(fv, i), p > 0) << at;
          if (p > 0) {
            ASSERT_EQ(f[i], in[p - 1]) << at;
          }
          ASSERT_EQ(bit(bv, i), q < n) << at;
          if (q < n) {
            ASSERT_EQ(b[i], in[q]) << at;
          }
          const bool inside = v(i) || (p > 0 && q < n);
          ASSERT_EQ(bit(lv, i), inside) << at;
          if (v(i)) {
            ASSERT_EQ(l[i], in[i]) << at;
          }
          if (!v(i) && inside) {
            const double t = static_cast<double>(i - (p - 1)) / static_cast<double>(q - (p - 1));
            ASSERT_NEAR(l[i], in[p - 1] + t * (in[q] - in[p - 1]), 1e-12) << at;
          }
          if (!bit(fv, i)) {
            ASSERT_TRUE(std::isnan(f[i])) << at;
          }
        }
      }
    }
  }
}

TEST(column_fill, nan_marks_missing) {
  const double nan = std::nan("");
  const std::vector<double> in = {nan, 1, nan, nan, 4, nan};
  std::vector<double> f(6), b(6);
  std::vector<std::uint8_t> fv(1);
  tsfill::forward_fill_nan<double>(in, f, fv);
  tsfill::backward_fill_nan<double>(in, b);
  EXPECT_TRUE(std::isnan(f[0]));
  EXPECT_EQ((std::vector<double>(f.begin() + 1, f.end())), (std::vector<double>{1, 1, 1, 4, 4}));
  EXPECT_EQ(fv[0], 0b111110);
  EXPECT_EQ((std::vector<double>(b.begin(), b.end() - 1)), (std::vector<double>{1, 1, 4, 4, 4}));
  EXPECT_TRUE(std::isnan(b[5]));
}

TEST(column_fill, sizes_are_checked) {
  const std::vector<std::int64_t> in(10, 1);
  const std::vector<std::uint8_t> valid(1, 0xFF);  // 8 bits for 10 elements
  std::vector<std::int64_t> out(10);
  std::vector<std::uint8_t> out_valid(2);
  try {
    tsfill::forward_fill<std::int64_t>(in, valid, out, out_valid);
    FAIL() << "no error";
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()),
              "tsfill: forward_fill: the validity bitmap has 1 bytes, 2 are needed");
  }
  std::vector<std::int64_t> short_out(9);
  const std::vector<std::uint8_t> enough(2, 0xFF);
  EXPECT_THROW(tsfill::backward_fill<std::int64_t>(in, enough, short_out, out_valid),
               tsfill::invalid_argument);
}

}  // namespace
