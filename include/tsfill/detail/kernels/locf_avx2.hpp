// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Forward and backward fill with AVX2 + BMI2 (compiled by target attribute; used when the
// CPU has AVX2 but not AVX-512, see isa.hpp). Same block scheme as locf_avx512.hpp, but
// AVX2 has no two-source permute: a lane permute (vpermd) takes each lane's source within
// the block and a blend takes the carry where the block has none. 64-bit types go four
// lanes at a time, two halves per block of 8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/isa.hpp>
#include <tsfill/detail/kernels/lane_tables.hpp>
#include <tsfill/detail/kernels/locf_scalar.hpp>

#if TSFILL_X86_SIMD
#include <immintrin.h>

TSFILL_BEGIN_NAMESPACE
namespace detail::avx2 {

TSFILL_TARGET_AVX2 inline unsigned status_mask8(const cell_status* s) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(s));
  return static_cast<unsigned>(_mm_movemask_epi8(
             _mm_cmpeq_epi8(bytes, _mm_set1_epi8(static_cast<char>(cell_status::observed))))) &
         0xFFU;
}

// Sets the status byte of each cell in `cells` (8-bit mask) to `code`; those cells are
// missing (0) before, so an OR does it.
TSFILL_TARGET_AVX2 inline void mark8(cell_status* s, unsigned cells, cell_status code) {
  std::uint64_t bytes;
  std::memcpy(&bytes, s, 8);
  bytes |= _pdep_u64(cells, 0x0101010101010101ULL) * static_cast<std::uint64_t>(code);
  std::memcpy(s, &bytes, 8);
}

// One 4-lane half of a 64-bit block: lanes of v by mask m (4 bits), the carry elsewhere.
template <bool Forward>
TSFILL_TARGET_AVX2 inline __m256d select4(__m256d v, unsigned m, __m256d& carry) {
  const __m256i idx = _mm256_load_si256(reinterpret_cast<const __m256i*>(
      Forward ? avx2_lanes.forward_idx[m] : avx2_lanes.backward_idx[m]));
  const __m256d have = _mm256_castsi256_pd(_mm256_load_si256(reinterpret_cast<const __m256i*>(
      Forward ? avx2_lanes.forward_have[m] : avx2_lanes.backward_have[m])));
  const __m256d r = _mm256_blendv_pd(
      carry, _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), idx)), have);
  // (Taking the carry from v instead of r shortens the chain but costs a lane permute
  // per half; measured slower here, unlike with AVX-512.)
  carry = _mm256_permute4x64_pd(r, Forward ? 0xFF : 0x00);
  return r;
}

template <bool Forward, class T>
TSFILL_TARGET_AVX2 void fill_blocks(const T* in, std::size_t n, mask_from from,
                                    const std::uint8_t* valid, std::size_t bit0, T* out,
                                    std::uint8_t* out_valid, cell_status* status,
                                    fill_state<T>& st) {
  const std::size_t full = n / 8 * 8;
  bool have = st.have;
  const cell_status code = Forward ? cell_status::forward : cell_status::backward;
  if constexpr (sizeof(T) == 8) {
    double c;
    std::memcpy(&c, &st.value, sizeof c);
    __m256d carry = _mm256_set1_pd(c);
    for (std::size_t k = 0; k < full; k += 8) {
      const std::size_t i = Forward ? k : full - 8 - k;
      const auto* p = reinterpret_cast<const double*>(in + i);
      const __m256d lo = _mm256_loadu_pd(p), hi = _mm256_loadu_pd(p + 4);
      unsigned m;
      if (from == mask_from::bitmap) {
        m = bits8(valid, bit0 + i);
      } else if (from == mask_from::nan) {
        m = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(lo, lo, _CMP_ORD_Q)) |
                                  _mm256_movemask_pd(_mm256_cmp_pd(hi, hi, _CMP_ORD_Q)) << 4);
      } else {
        m = status_mask8(status + i);
      }
      auto* q = reinterpret_cast<double*>(out + i);
      if (Forward) {
        _mm256_storeu_pd(q, select4<true>(lo, m & 0xFU, carry));
        _mm256_storeu_pd(q + 4, select4<true>(hi, m >> 4, carry));
      } else {
        _mm256_storeu_pd(q + 4, select4<false>(hi, m >> 4, carry));
        _mm256_storeu_pd(q, select4<false>(lo, m & 0xFU, carry));
      }
      const unsigned filled = filled_lanes<Forward>(m, have);
      have = have || m != 0;
      if (out_valid) out_valid[i >> 3] = static_cast<std::uint8_t>(filled);
      if (status) mark8(status + i, filled & ~m, code);
    }
    c = _mm256_cvtsd_f64(carry);
    std::memcpy(&st.value, &c, sizeof c);
  } else {
    static_assert(std::is_same_v<T, float>);
    __m256 carry = _mm256_set1_ps(st.value);
    const __m256i none = _mm256_set1_epi32(8);
    for (std::size_t k = 0; k < full; k += 8) {
      const std::size_t i = Forward ? k : full - 8 - k;
      const __m256 v = _mm256_loadu_ps(in + i);
      unsigned m;
      if (from == mask_from::bitmap) {
        m = bits8(valid, bit0 + i);
      } else if (from == mask_from::nan) {
        m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_ORD_Q)));
      } else {
        m = status_mask8(status + i);
      }
      const __m256i idx = _mm256_cvtepu8_epi32(_mm_loadl_epi64(
          reinterpret_cast<const __m128i*>(Forward ? lanes.forward[m] : lanes.backward[m])));
      const __m256 from_carry = _mm256_castsi256_ps(_mm256_cmpeq_epi32(idx, none));
      const __m256 r = _mm256_blendv_ps(_mm256_permutevar8x32_ps(v, idx), carry, from_carry);
      _mm256_storeu_ps(out + i, r);
      const int edge = Forward ? 31 - __builtin_clz(m | 1U) : __builtin_ctz(m | 0x100U) & 7;
      carry = _mm256_blendv_ps(carry, _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(edge)),
                               _mm256_castsi256_ps(_mm256_set1_epi32(m != 0 ? -1 : 0)));
      const unsigned filled = filled_lanes<Forward>(m, have);
      have = have || m != 0;
      if (out_valid) out_valid[i >> 3] = static_cast<std::uint8_t>(filled);
      if (status) mark8(status + i, filled & ~m, code);
    }
    st.value = _mm256_cvtss_f32(carry);
  }
  st.have = have;
}

}  // namespace detail::avx2
TSFILL_END_NAMESPACE

#endif  // TSFILL_X86_SIMD
