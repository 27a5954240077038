// IWYU pragma: private, include <tsfill/pipeline.hpp>
// What the block fill kernels (AVX2, AVX-512) share: lookup tables that give, for an 8-bit
// validity mask and a lane, the lane that holds the value to carry into it (built at compile
// time, 2 KiB + 2 KiB for AVX2), and the scalar bit work around them.
#pragma once

#include <cstddef>
#include <cstdint>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// forward[m][i]: the highest set bit j <= i of m, or 8 (no valid lane: take the carry).
// backward[m][i]: the lowest set bit j >= i of m, or 8.
struct lane_table {
  alignas(64) std::uint8_t forward[256][8];
  alignas(64) std::uint8_t backward[256][8];
};

constexpr lane_table make_lane_table() {
  lane_table t{};
  for (unsigned m = 0; m < 256; ++m) {
    for (unsigned i = 0; i < 8; ++i) {
      std::uint8_t f = 8, b = 8;
      for (unsigned j = 0; j <= i; ++j)
        if (m >> j & 1U) f = static_cast<std::uint8_t>(j);
      for (unsigned j = 8; j-- > i;)
        if (m >> j & 1U) b = static_cast<std::uint8_t>(j);
      t.forward[m][i] = f;
      t.backward[m][i] = b;
    }
  }
  return t;
}
inline constexpr lane_table lanes = make_lane_table();

// AVX2 has no two-source permute: 64-bit lanes move as pairs of 32-bit lanes
// (vpermd), and lanes without a source are blended with the carry. For 4-bit masks:
// idx[m] = 8 dword indices, have[m] = all-ones qwords where a source exists.
struct avx2_table {
  alignas(32) std::int32_t forward_idx[16][8];
  alignas(32) std::int64_t forward_have[16][4];
  alignas(32) std::int32_t backward_idx[16][8];
  alignas(32) std::int64_t backward_have[16][4];
};

constexpr avx2_table make_avx2_table() {
  avx2_table t{};
  for (unsigned m = 0; m < 16; ++m) {
    for (unsigned i = 0; i < 4; ++i) {
      const unsigned f = lanes.forward[m][i] < 4 ? lanes.forward[m][i] : 8;
      const unsigned b = lanes.backward[m][i] < 4 ? lanes.backward[m][i] : 8;
      t.forward_idx[m][2 * i] = static_cast<std::int32_t>(f < 4 ? 2 * f : 0);
      t.forward_idx[m][2 * i + 1] = static_cast<std::int32_t>(f < 4 ? 2 * f + 1 : 1);
      t.forward_have[m][i] = f < 4 ? -1 : 0;
      t.backward_idx[m][2 * i] = static_cast<std::int32_t>(b < 4 ? 2 * b : 0);
      t.backward_idx[m][2 * i + 1] = static_cast<std::int32_t>(b < 4 ? 2 * b + 1 : 1);
      t.backward_have[m][i] = b < 4 ? -1 : 0;
    }
  }
  return t;
}
inline constexpr avx2_table avx2_lanes = make_avx2_table();

// Where a block's validity mask comes from.
enum class mask_from : std::uint8_t { bitmap, nan, status };

// The 8 validity bits at bit `pos` of a bitmap whose bits pos..pos+7 all exist.
TSFILL_ALWAYS_INLINE unsigned bits8(const std::uint8_t* bits, std::size_t pos) noexcept {
  const std::size_t b = pos >> 3, shift = pos & 7U;
  if (shift == 0) return bits[b];
  return ((static_cast<unsigned>(bits[b]) | static_cast<unsigned>(bits[b + 1]) << 8) >> shift) &
         0xFFU;
}

// Lanes of a block of 8 with a value after the fill: all when a value came in (`have`),
// else those at or after the first valid lane of m (forward) or at or before the last one
// (backward).
template <bool Forward>
TSFILL_ALWAYS_INLINE unsigned filled_lanes(unsigned m, bool have) noexcept {
  if (have) return 0xFFU;
  if (Forward) {
    m |= m << 1;
    m |= m << 2;
    m |= m << 4;
  } else {
    m |= m >> 1;
    m |= m >> 2;
    m |= m >> 4;
  }
  return m & 0xFFU;
}

}  // namespace detail
TSFILL_END_NAMESPACE
