// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 6 of a run, assemble: the validity bitmaps of the original and filled values and
// the per-status cell counts, from the statuses the fill left.
#pragma once

#include <cstddef>
#include <cstdint>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <tsfill/detail/config.hpp>
#include <tsfill/result.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Packs "status satisfies pred" into Arrow bitmap bytes [byte_begin, byte_end) and counts
// statuses there. Byte ranges of different calls never share a byte.
inline void pack_and_count(const cell_status* status, std::size_t n, std::size_t byte_begin,
                           std::size_t byte_end, std::uint8_t* original_bits,
                           std::uint8_t* filled_bits, column_stats& stats) {
  std::size_t counts[cell_status_count] = {};
  std::size_t b = byte_begin;
#if defined(__SSE2__)
  // 16 statuses at a time: one compare per status gives its lane_counts (0xFF where equal), whose
  // movemask is its bitmap (bit k = cell k, Arrow's order: observed's is the original
  // bitmap, not missing's the filled one); the counts are summed per lane (subtracting
  // 0xFF adds 1) and folded every 255 steps, before a lane can overflow. (The scalar loop
  // below did one status at a time: a fifth of a whole run went to it.)
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(status);
  __m128i lane_counts[cell_status_count];
  for (__m128i& l : lane_counts) l = _mm_setzero_si128();
  int steps = 0;
  auto fold = [&] {
    for (int s = 0; s < cell_status_count; ++s) {
      const __m128i sums = _mm_sad_epu8(lane_counts[s], _mm_setzero_si128());
      counts[s] += static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
                   static_cast<std::size_t>(_mm_cvtsi128_si32(_mm_srli_si128(sums, 8)));
      lane_counts[s] = _mm_setzero_si128();
    }
    steps = 0;
  };
  for (; b + 2 <= byte_end && (b + 2) * 8 <= n; b += 2) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + b * 8));
    __m128i eq[cell_status_count];
    for (int s = 0; s < cell_status_count; ++s) {
      eq[s] = _mm_cmpeq_epi8(x, _mm_set1_epi8(static_cast<char>(s)));
      lane_counts[s] = _mm_sub_epi8(lane_counts[s], eq[s]);
    }
    const auto observed = static_cast<unsigned>(_mm_movemask_epi8(eq[1]));
    const unsigned filled = ~static_cast<unsigned>(_mm_movemask_epi8(eq[0])) & 0xFFFFU;
    original_bits[b] = static_cast<std::uint8_t>(observed);
    original_bits[b + 1] = static_cast<std::uint8_t>(observed >> 8);
    filled_bits[b] = static_cast<std::uint8_t>(filled);
    filled_bits[b + 1] = static_cast<std::uint8_t>(filled >> 8);
    if (++steps == 255) fold();
  }
  fold();
#endif
  for (; b < byte_end; ++b) {
    std::uint8_t obs = 0, filled = 0;
    const std::size_t base = b * 8;
    const std::size_t m = n - base < 8 ? n - base : 8;
    for (std::size_t k = 0; k < m; ++k) {
      const auto s = static_cast<std::size_t>(status[base + k]);
      ++counts[s];
      obs = static_cast<std::uint8_t>(obs | (s == 1 ? 1U << k : 0U));
      filled = static_cast<std::uint8_t>(filled | (s != 0 ? 1U << k : 0U));
    }
    original_bits[b] = obs;
    filled_bits[b] = filled;
  }
  for (int k = 0; k < cell_status_count; ++k) stats.cells[static_cast<std::size_t>(k)] += counts[k];
}

}  // namespace detail
TSFILL_END_NAMESPACE
