// The fill kernels of every instruction set this CPU supports, against a naive reference
// written here: sizes 0..2x the block and large ones, misaligned starts, bit offsets 0..7,
// a sentinel past the end of every output, gaps at the start, the end and across blocks,
// all missing and none missing, and state carried across pieces.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

namespace {

using tsfill::cell_status;
using tsfill::detail::isa;

std::vector<isa> supported() {
  std::vector<isa> out = {isa::scalar};
  if (tsfill::detail::supported_isa() >= isa::avx2) out.push_back(isa::avx2);
  if (tsfill::detail::supported_isa() >= isa::avx512) out.push_back(isa::avx512);
  return out;
}

// Naive reference: value and validity of each element after a forward/backward fill.
template <class T>
void reference(const std::vector<T>& in, const std::vector<bool>& valid, bool forward,
               std::vector<T>& out, std::vector<bool>& have) {
  const std::size_t n = in.size();
  out.assign(n, tsfill::null_placeholder<T>());
  have.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    // Search for the source element the slow way.
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t j = forward ? i - k : i + k;
      if (forward ? k > i : j >= n) break;
      if (valid[j]) {
        out[i] = in[j];
        have[i] = true;
        break;
      }
    }
  }
}

bool bit(const std::vector<std::uint8_t>& bits, std::size_t k) {
  return ((static_cast<unsigned>(bits[k / 8]) >> (k % 8)) & 1U) != 0;
}

template <class T>
bool same(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
  } else {
    return a == b;
  }
}

enum class pattern { random, none_missing, all_missing, head_gap, tail_gap };

template <class T>
void make_input(std::mt19937& rng, std::size_t n, pattern p, double null_rate, std::vector<T>& in,
                std::vector<bool>& valid) {
  in.resize(n);
  valid.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    in[i] = static_cast<T>(static_cast<std::int64_t>(rng() % 1000) - 500);
    bool v = std::uniform_real_distribution<double>(0, 1)(rng) >= null_rate;
    if (p == pattern::none_missing) v = true;
    if (p == pattern::all_missing) v = false;
    if (p == pattern::head_gap && i < n / 2 + 3) v = false;
    if (p == pattern::tail_gap && i + n / 2 + 3 >= n) v = false;
    valid[i] = v;
  }
}

const std::vector<std::size_t> sizes = [] {
  std::vector<std::size_t> s;
  for (std::size_t n = 0; n <= 17; ++n) s.push_back(n);
  for (const std::size_t n : {31U, 32U, 33U, 64U, 65U, 1000U, 4099U}) s.push_back(n);
  return s;
}();
constexpr pattern patterns[] = {pattern::random, pattern::none_missing, pattern::all_missing,
                                pattern::head_gap, pattern::tail_gap};

template <class T>
void check_status_kernels(isa i) {
  std::mt19937 rng(7);
  for (const bool forward : {true, false}) {
    for (const std::size_t n : sizes) {
      for (const pattern p : patterns) {
        for (const double rate : {0.1, 0.5, 0.9}) {
          for (const std::size_t misalign : {0U, 1U, 3U}) {
            std::vector<T> in;
            std::vector<bool> valid;
            make_input(rng, n, p, rate, in, valid);
            std::vector<T> want;
            std::vector<bool> have;
            reference(in, valid, forward, want, have);
            // Misaligned copies with a sentinel after the last element.
            std::vector<T> original(n + misalign + 1), filled(n + misalign + 1, T{42});
            std::vector<cell_status> status(n + misalign + 1, cell_status::constant);
            for (std::size_t k = 0; k < n; ++k) {
              original[misalign + k] = valid[k] ? in[k] : tsfill::null_placeholder<T>();
              status[misalign + k] = valid[k] ? cell_status::observed : cell_status::missing;
            }
            if (forward)
              tsfill::detail::forward_fill_status(i, original.data() + misalign,
                                                  filled.data() + misalign,
                                                  status.data() + misalign, n);
            else
              tsfill::detail::backward_fill_status(i, original.data() + misalign,
                                                   filled.data() + misalign,
                                                   status.data() + misalign, n);
            const auto code = forward ? cell_status::forward : cell_status::backward;
            for (std::size_t k = 0; k < n; ++k) {
              const cell_status expect =
                  valid[k] ? cell_status::observed : (have[k] ? code : cell_status::missing);
              ASSERT_EQ(status[misalign + k], expect)
                  << tsfill::detail::to_string(i) << " n=" << n << " k=" << k;
              if (have[k]) {
                ASSERT_TRUE(same(filled[misalign + k], want[k]))
                    << tsfill::detail::to_string(i) << " n=" << n;
              }
            }
            ASSERT_EQ(filled[misalign + n], T{42}) << "wrote past the end";
            ASSERT_EQ(status[misalign + n], cell_status::constant) << "wrote past the end";
          }
        }
      }
    }
  }
}

template <class T>
void check_bitmap_kernels(isa i) {
  std::mt19937 rng(11);
  for (const bool forward : {true, false}) {
    for (const std::size_t n : sizes) {
      for (const pattern p : patterns) {
        for (std::size_t bit0 = 0; bit0 < 8; ++bit0) {
          std::vector<T> in;
          std::vector<bool> valid;
          make_input(rng, n, p, 0.3, in, valid);
          std::vector<T> want;
          std::vector<bool> have;
          reference(in, valid, forward, want, have);
          std::vector<std::uint8_t> bits((bit0 + n + 7) / 8, 0);
          for (std::size_t k = 0; k < n; ++k)
            if (valid[k])
              bits[(bit0 + k) / 8] =
                  static_cast<std::uint8_t>(bits[(bit0 + k) / 8] | 1U << ((bit0 + k) % 8));
          std::vector<T> out(n + 1, T{42});
          std::vector<std::uint8_t> out_bits((n + 7) / 8 + 1, 0xA5);
          tsfill::detail::fill_state<T> st;
          if (forward)
            tsfill::detail::forward_fill_bitmap(i, in.data(), bits.data(), bit0, n, out.data(),
                                                out_bits.data(), st);
          else
            tsfill::detail::backward_fill_bitmap(i, in.data(), bits.data(), bit0, n, out.data(),
                                                 out_bits.data(), st);
          for (std::size_t k = 0; k < n; ++k) {
            ASSERT_EQ(bit(out_bits, k), static_cast<bool>(have[k]))
                << tsfill::detail::to_string(i) << " n=" << n << " bit0=" << bit0 << " k=" << k;
            if (have[k]) {
              ASSERT_TRUE(same(out[k], want[k]))
                  << tsfill::detail::to_string(i) << " n=" << n << " k=" << k;
            }
          }
          if (n % 8) {
            ASSERT_EQ(static_cast<unsigned>(out_bits[n / 8]) >> (n % 8), 0U)
                << "padding bits must be 0";
          }
          ASSERT_EQ(out[n], T{42}) << "wrote past the end";
          ASSERT_EQ(out_bits[(n + 7) / 8], 0xA5) << "wrote past the end of the bitmap";
        }
      }
    }
  }
}

template <class T>
void check_nan_kernels(isa i) {
  std::mt19937 rng(13);
  for (const bool forward : {true, false}) {
    for (const std::size_t n : sizes) {
      for (const pattern p : patterns) {
        std::vector<T> in;
        std::vector<bool> valid;
        make_input(rng, n, p, 0.3, in, valid);
        for (std::size_t k = 0; k < n; ++k)
          if (!valid[k]) in[k] = std::numeric_limits<T>::quiet_NaN();
        std::vector<T> want;
        std::vector<bool> have;
        reference(in, valid, forward, want, have);
        std::vector<T> out(n + 1, T{42});
        std::vector<std::uint8_t> out_bits((n + 7) / 8 + 1, 0xA5);
        tsfill::detail::fill_state<T> st;
        if (forward)
          tsfill::detail::forward_fill_nan(i, in.data(), n, out.data(), out_bits.data(), st);
        else
          tsfill::detail::backward_fill_nan(i, in.data(), n, out.data(), out_bits.data(), st);
        for (std::size_t k = 0; k < n; ++k) {
          ASSERT_TRUE(same(out[k], want[k]))
              << tsfill::detail::to_string(i) << " n=" << n << " k=" << k;
          ASSERT_EQ(bit(out_bits, k), static_cast<bool>(have[k]));
        }
        ASSERT_EQ(out[n], T{42});
        ASSERT_EQ(out_bits[(n + 7) / 8], 0xA5);
      }
    }
  }
}

TEST(kernels, every_isa_is_checked) {
  // This machine's CI has AVX-512; elsewhere the list is shorter, never empty.
  EXPECT_FALSE(supported().empty());
  std::printf("kernels tested for:");
  for (const isa i : supported()) std::printf(" %s", tsfill::detail::to_string(i));
  std::printf("\n");
}

TEST(kernels, status_forms_match_the_reference) {
  for (const isa i : supported()) {
    check_status_kernels<double>(i);
    check_status_kernels<float>(i);
    check_status_kernels<std::int64_t>(i);
  }
}

TEST(kernels, bitmap_forms_match_the_reference) {
  for (const isa i : supported()) {
    check_bitmap_kernels<double>(i);
    check_bitmap_kernels<float>(i);
    check_bitmap_kernels<std::int64_t>(i);
  }
}

TEST(kernels, nan_forms_match_the_reference) {
  for (const isa i : supported()) {
    check_nan_kernels<double>(i);
    check_nan_kernels<float>(i);
  }
}

TEST(kernels, state_carries_across_pieces) {
  std::mt19937 rng(3);
  for (const isa i : supported()) {
    std::vector<double> in;
    std::vector<bool> valid;
    make_input(rng, 1000, pattern::random, 0.6, in, valid);
    std::vector<std::uint8_t> bits(125, 0);
    for (std::size_t k = 0; k < 1000; ++k)
      if (valid[k]) bits[k / 8] = static_cast<std::uint8_t>(bits[k / 8] | 1U << (k % 8));
    std::vector<double> whole(1000), pieces(1000);
    std::vector<std::uint8_t> whole_bits(125), piece_bits(125);
    tsfill::detail::fill_state<double> a, b;
    tsfill::detail::forward_fill_bitmap(i, in.data(), bits.data(), 0, 1000, whole.data(),
                                        whole_bits.data(), a);
    for (std::size_t at = 0; at < 1000; at += 200)  // pieces of 200 elements (multiples of 8)
      tsfill::detail::forward_fill_bitmap(i, in.data() + at, bits.data(), at, 200,
                                          pieces.data() + at, piece_bits.data() + at / 8, b);
    EXPECT_EQ(std::memcmp(whole.data(), pieces.data(), sizeof(double) * 1000), 0);
    EXPECT_EQ(whole_bits, piece_bits);
    EXPECT_EQ(a.have, b.have);
  }
}

template <class T>
void check_linear() {
  std::mt19937 rng(17);
  for (const std::size_t n : sizes) {
    for (const pattern p : patterns) {
      for (std::size_t bit0 = 0; bit0 < 8; bit0 += 3) {
        std::vector<T> in;
        std::vector<bool> valid;
        make_input(rng, n, p, 0.4, in, valid);
        std::vector<std::uint8_t> bits((bit0 + n + 7) / 8, 0);
        for (std::size_t k = 0; k < n; ++k)
          if (valid[k])
            bits[(bit0 + k) / 8] =
                static_cast<std::uint8_t>(bits[(bit0 + k) / 8] | 1U << ((bit0 + k) % 8));
        std::vector<T> fast(n + 1, T{42}), ref(n + 1, T{42});
        std::vector<std::uint8_t> fast_bits((n + 7) / 8 + 1, 0xA5), ref_bits((n + 7) / 8 + 1, 0xA5);
        tsfill::detail::linear_fill_bitmap(in.data(), bits.data(), bit0, n, fast.data(),
                                           fast_bits.data());
        tsfill::detail::scalar::linear_fill_bitmap(in.data(), bits.data(), bit0, n, ref.data(),
                                                   ref_bits.data());
        ASSERT_EQ(fast_bits, ref_bits) << "n=" << n << " bit0=" << bit0;
        for (std::size_t k = 0; k < n; ++k) {
          if (bit(ref_bits, k)) {
            ASSERT_TRUE(same(fast[k], ref[k])) << "n=" << n << " k=" << k;
          }
        }
        ASSERT_EQ(fast[n], T{42});
      }
    }
  }
}

TEST(kernels, linear_matches_the_reference) {
  check_linear<double>();
  check_linear<float>();
  check_linear<std::int64_t>();
  // By hand: 0 _ _ 3 _ 5 _  ->  _ 1 2 3 4 5 _ (the edges stay missing).
  const std::vector<double> in = {0, 9, 9, 3, 9, 5, 9};
  const std::vector<std::uint8_t> bits = {0b0101001};
  std::vector<double> out(7);
  std::vector<std::uint8_t> out_bits(1);
  tsfill::detail::linear_fill_bitmap(in.data(), bits.data(), 0, 7, out.data(), out_bits.data());
  EXPECT_EQ(out_bits[0], 0b0111111);
  EXPECT_EQ(std::vector<double>(out.begin(), out.begin() + 6),
            (std::vector<double>{0, 1, 2, 3, 4, 5}));
}

TEST(kernels, divider_is_exact) {
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> divisors = {1,
                                         2,
                                         3,
                                         7,
                                         10,
                                         60,
                                         1800,
                                         86400,
                                         1'000'000'000ULL,
                                         1'800'000'000'000ULL,
                                         86'400'000'000'000ULL,
                                         (1ULL << 62) + 1,
                                         (1ULL << 63) - 1,
                                         1ULL << 40};
  for (int k = 0; k < 200; ++k) divisors.push_back(rng() >> (rng() % 63));
  for (const std::uint64_t d : divisors) {
    if (d == 0) continue;
    const tsfill::detail::fast_divider div(d);
    std::vector<std::uint64_t> xs = {
        0, 1, d - 1, d, d + 1, 2 * d - 1, (1ULL << 63) - 1, (1ULL << 63) - 2};
    for (int j = 0; j < 2000; ++j) xs.push_back(rng() >> (1 + rng() % 63));
    for (const std::uint64_t x : xs) {
      if (x >= (1ULL << 63)) continue;
      ASSERT_EQ(div.divide(x), x / d) << x << " / " << d;
    }
  }
}

}  // namespace
