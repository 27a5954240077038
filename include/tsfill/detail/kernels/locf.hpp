// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Forward / backward fill kernels, dispatched to the instruction set chosen once (isa.hpp):
// AVX-512, AVX2 or scalar. All give identical output; tests/unit/kernels_test.cpp checks
// every form against the scalar reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/isa.hpp>
#include <tsfill/detail/kernels/lane_tables.hpp>
#include <tsfill/detail/kernels/locf_avx2.hpp>
#include <tsfill/detail/kernels/locf_avx512.hpp>
#include <tsfill/detail/kernels/locf_scalar.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Elements [0, simd_covered(i, n)) are whole blocks of 8 that the SIMD kernels of `i` fill
// (none for scalar); the scalar kernels fill the rest with the carried state, after the
// blocks going forward and before them going backward.
inline std::size_t simd_covered(isa i, std::size_t n) {
  return i == isa::scalar ? 0 : n / 8 * 8;
}

template <bool Forward, class T>
void simd_blocks(isa i, const T* in, std::size_t n, mask_from from, const std::uint8_t* valid,
                 std::size_t bit0, T* out, std::uint8_t* out_valid, cell_status* status,
                 fill_state<T>& st) {
#if TSFILL_X86_SIMD
  if (i == isa::avx512)
    avx512::fill_blocks<Forward, T>(in, n, from, valid, bit0, out, out_valid, status, st);
  else if (i == isa::avx2)
    avx2::fill_blocks<Forward, T>(in, n, from, valid, bit0, out, out_valid, status, st);
#else
  (void)i, (void)in, (void)n, (void)from, (void)valid, (void)bit0, (void)out, (void)out_valid,
      (void)status, (void)st;
#endif
}

// Pipeline segments: status bytes in (observed / missing) and out.
// `st` starts the fill with a carried value (fill::forward{.carry_in = true}).
template <class T>
void forward_fill_status(isa i, const T* original, T* filled, cell_status* status, std::size_t n,
                         fill_state<T> st = {}) {
  const std::size_t done = simd_covered(i, n);
  simd_blocks<true>(i, original, n, mask_from::status, nullptr, 0, filled, nullptr, status, st);
  scalar::forward_fill_status(original + done, filled + done, status + done, n - done, st);
}

template <class T>
void backward_fill_status(isa i, const T* original, T* filled, cell_status* status, std::size_t n) {
  fill_state<T> st;
  const std::size_t done = simd_covered(i, n);
  scalar::backward_fill_status(original + done, filled + done, status + done, n - done, st);
  simd_blocks<false>(i, original, n, mask_from::status, nullptr, 0, filled, nullptr, status, st);
}

// Whole columns with an Arrow bitmap (bit offset bit0) in and a bitmap (at bit 0) out.
template <class T>
void forward_fill_bitmap(isa i, const T* in, const std::uint8_t* valid, std::size_t bit0,
                         std::size_t n, T* out, std::uint8_t* out_valid, fill_state<T>& st) {
  const std::size_t done = simd_covered(i, n);
  simd_blocks<true>(i, in, n, mask_from::bitmap, valid, bit0, out, out_valid, nullptr, st);
  scalar::forward_fill_bitmap(in + done, valid, bit0 + done, n - done, out + done, out_valid, done,
                              st);
}

template <class T>
void backward_fill_bitmap(isa i, const T* in, const std::uint8_t* valid, std::size_t bit0,
                          std::size_t n, T* out, std::uint8_t* out_valid, fill_state<T>& st) {
  const std::size_t done = simd_covered(i, n);
  scalar::backward_fill_bitmap(in + done, valid, bit0 + done, n - done, out + done, out_valid, done,
                               st);
  simd_blocks<false>(i, in, n, mask_from::bitmap, valid, bit0, out, out_valid, nullptr, st);
}

// Whole floating columns with NaN as missing; the validity bitmap out may be null.
template <class T>
void forward_fill_nan(isa i, const T* in, std::size_t n, T* out, std::uint8_t* out_valid,
                      fill_state<T>& st) {
  const std::size_t done = simd_covered(i, n);
  simd_blocks<true>(i, in, n, mask_from::nan, nullptr, 0, out, out_valid, nullptr, st);
  scalar::forward_fill_nan(in + done, n - done, out + done, out_valid, done, st);
}

template <class T>
void backward_fill_nan(isa i, const T* in, std::size_t n, T* out, std::uint8_t* out_valid,
                       fill_state<T>& st) {
  const std::size_t done = simd_covered(i, n);
  scalar::backward_fill_nan(in + done, n - done, out + done, out_valid, done, st);
  simd_blocks<false>(i, in, n, mask_from::nan, nullptr, 0, out, out_valid, nullptr, st);
}

}  // namespace detail
TSFILL_END_NAMESPACE
