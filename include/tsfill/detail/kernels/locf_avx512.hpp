// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Forward and backward fill with AVX-512 (F, BW, VL, DQ), compiled by target attribute so
// consumers need no -m flag; used only when the CPU has these (isa.hpp).
//
// Per block of 8 elements (zmm for 64-bit types, ymm for float), with m the 8-bit validity
// mask: idx = lanes.forward[m] (the lane to take for each lane, or 8 = the carry), one
// two-source permute (vpermt2pd / vpermt2ps) selects from the block and the carry, and the
// carry becomes the block's last (first, backward) lane broadcast. No branch depends on the
// data, so the speed does not depend on the null rate. Partial blocks go to the scalar
// kernels with the carried state.
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

// g++ 12 warns -Wmaybe-uninitialized inside its own intrinsics (the self-initialized
// _mm512_undefined_* values, GCC bug 105593); consumers may build with -Werror.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

TSFILL_BEGIN_NAMESPACE
namespace detail::avx512 {

// 8 lanes of T: zmm for double and int64 (as double bits), ymm for float.
template <class T>
struct lanes8;

template <class T>
requires(sizeof(T) == 8) struct lanes8<T> {
  using vec = __m512d;
  TSFILL_TARGET_AVX512 static vec load(const T* p) { return _mm512_loadu_pd(p); }
  TSFILL_TARGET_AVX512 static void store(T* p, vec v) { _mm512_storeu_pd(p, v); }
  TSFILL_TARGET_AVX512 static vec splat(T x) {
    double d;
    std::memcpy(&d, &x, sizeof d);
    return _mm512_set1_pd(d);
  }
  TSFILL_TARGET_AVX512 static T first(vec v) {
    const double d = _mm512_cvtsd_f64(v);
    T x;
    std::memcpy(&x, &d, sizeof x);
    return x;
  }
  TSFILL_TARGET_AVX512 static vec select(vec v, const std::uint8_t* idx8, vec carry) {
    const __m512i idx =
        _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(idx8)));
    return _mm512_permutex2var_pd(v, idx, carry);
  }
  TSFILL_TARGET_AVX512 static vec broadcast(vec v, int lane) {
    return _mm512_permutexvar_pd(_mm512_set1_epi64(lane), v);
  }
  // `with` where `take`, else `keep` (all lanes).
  TSFILL_TARGET_AVX512 static vec choose(bool take, vec with, vec keep) {
    return _mm512_mask_mov_pd(keep, static_cast<__mmask8>(take ? 0xFF : 0), with);
  }
  TSFILL_TARGET_AVX512 static unsigned not_nan(vec v) {
    return _mm512_cmp_pd_mask(v, v, _CMP_ORD_Q);
  }
};

template <>
struct lanes8<float> {
  using vec = __m256;
  TSFILL_TARGET_AVX512 static vec load(const float* p) { return _mm256_loadu_ps(p); }
  TSFILL_TARGET_AVX512 static void store(float* p, vec v) { _mm256_storeu_ps(p, v); }
  TSFILL_TARGET_AVX512 static vec splat(float x) { return _mm256_set1_ps(x); }
  TSFILL_TARGET_AVX512 static float first(vec v) { return _mm256_cvtss_f32(v); }
  TSFILL_TARGET_AVX512 static vec select(vec v, const std::uint8_t* idx8, vec carry) {
    const __m256i idx =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(idx8)));
    return _mm256_permutex2var_ps(v, idx, carry);
  }
  TSFILL_TARGET_AVX512 static vec broadcast(vec v, int lane) {
    return _mm256_permutexvar_ps(_mm256_set1_epi32(lane), v);
  }
  TSFILL_TARGET_AVX512 static vec choose(bool take, vec with, vec keep) {
    return _mm256_mask_mov_ps(keep, static_cast<__mmask8>(take ? 0xFF : 0), with);
  }
  TSFILL_TARGET_AVX512 static unsigned not_nan(vec v) {
    return _mm256_cmp_ps_mask(v, v, _CMP_ORD_Q);
  }
};

// Fills elements [0, n) in blocks of 8 from the front (Forward) or the back, with the mask
// from `from`; writes values to `out`, and validity to `out_valid` (bitmap, byte i/8 per
// block) or to `status` (filled cells get `code`).
template <bool Forward, class T>
TSFILL_TARGET_AVX512 void fill_blocks(const T* in, std::size_t n, mask_from from,
                                      const std::uint8_t* valid, std::size_t bit0, T* out,
                                      std::uint8_t* out_valid, cell_status* status,
                                      fill_state<T>& st) {
  using L = lanes8<T>;
  const std::size_t full = n / 8 * 8;
  typename L::vec carry = L::splat(st.value);
  bool have = st.have;
  const __m128i code =
      _mm_set1_epi8(static_cast<char>(Forward ? cell_status::forward : cell_status::backward));
  const __m128i observed = _mm_set1_epi8(static_cast<char>(cell_status::observed));
  for (std::size_t k = 0; k < full; k += 8) {
    const std::size_t i = Forward ? k : full - 8 - k;
    const typename L::vec v = L::load(in + i);
    unsigned m;
    __m128i block_status = _mm_setzero_si128();
    if (from == mask_from::bitmap) {
      m = bits8(valid, bit0 + i);
    } else if (from == mask_from::nan) {
      m = L::not_nan(v);
    } else {
      block_status = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(status + i));
      m = _mm_cmpeq_epi8_mask(block_status, observed) & 0xFFU;
    }
    const typename L::vec r = L::select(v, Forward ? lanes.forward[m] : lanes.backward[m], carry);
    L::store(out + i, r);
    // The next carry is the block's last (first) valid lane, or the old carry: one masked
    // move on the loop-carried chain instead of a permute of r.
    const int edge = Forward ? 31 - __builtin_clz(m | 1U) : __builtin_ctz(m | 0x100U) & 7;
    carry = L::choose(m != 0, L::broadcast(v, edge), carry);
    const unsigned filled = filled_lanes<Forward>(m, have);
    have = have || m != 0;
    if (out_valid) out_valid[i >> 3] = static_cast<std::uint8_t>(filled);
    // Statuses: a blend in a register and a plain 8-byte store. (A masked store to memory,
    // _mm_mask_storeu_epi8, was half the speed on AMD Zen 4: 0.35x memcpy against 0.73x.)
    if (status)
      _mm_storel_epi64(reinterpret_cast<__m128i*>(status + i),
                       _mm_mask_mov_epi8(block_status, static_cast<__mmask16>(filled & ~m), code));
  }
  st = {L::first(carry), have};
}

}  // namespace detail::avx512
TSFILL_END_NAMESPACE

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // TSFILL_X86_SIMD
