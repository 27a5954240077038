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
  // 16 statuses at a time: one compare per status gives its mask (bit k = cell k, Arrow's
  // order), whose popcount is its count; observed's mask is the original bitmap, not
  // missing's the filled one. (The scalar loop below did one status at a time: a fifth of
  // a whole run went to it.)
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(status);
  for (; b + 2 <= byte_end && (b + 2) * 8 <= n; b += 2) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + b * 8));
    unsigned mask[cell_status_count];
    for (int s = 0; s < cell_status_count; ++s) {
      mask[s] = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(static_cast<char>(s)))));
      counts[s] += static_cast<std::size_t>(__builtin_popcount(mask[s]));
    }
    const unsigned filled = ~mask[0] & 0xFFFFU;
    original_bits[b] = static_cast<std::uint8_t>(mask[1]);
    original_bits[b + 1] = static_cast<std::uint8_t>(mask[1] >> 8);
    filled_bits[b] = static_cast<std::uint8_t>(filled);
    filled_bits[b + 1] = static_cast<std::uint8_t>(filled >> 8);
  }
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
