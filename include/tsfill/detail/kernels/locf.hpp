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
#include <tsfill/detail/kernels/locf_avx2.hpp>
#include <tsfill/detail/kernels/locf_avx512.hpp>
#include <tsfill/detail/kernels/locf_scalar.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

#if TSFILL_X86_SIMD
#define TSFILL_DISPATCH(isa_value, name, ...) \
  switch (isa_value) {                        \
    case isa::avx512:                         \
      return avx512::name(__VA_ARGS__);       \
    case isa::avx2:                           \
      return avx2::name(__VA_ARGS__);         \
    case isa::scalar:                         \
      break;                                  \
  }
#else
#define TSFILL_DISPATCH(isa_value, name, ...) (void)(isa_value);
#endif

// Pipeline segments: status bytes in (observed / missing) and out.
// `st` starts the fill with a carried value (fill::forward{.carry_in = true}).
template <class T>
void forward_fill_status(isa i, const T* original, T* filled, cell_status* status, std::size_t n,
                         fill_state<T> st = {}) {
  TSFILL_DISPATCH(i, forward_fill_status, original, filled, status, n, st)
  scalar::forward_fill_status(original, filled, status, n, st);
}

template <class T>
void backward_fill_status(isa i, const T* original, T* filled, cell_status* status, std::size_t n) {
  fill_state<T> st;
  TSFILL_DISPATCH(i, backward_fill_status, original, filled, status, n, st)
  scalar::backward_fill_status(original, filled, status, n, st);
}

// Whole columns with an Arrow bitmap (bit offset bit0) in and a bitmap (at bit 0) out.
template <class T>
void forward_fill_bitmap(isa i, const T* in, const std::uint8_t* valid, std::size_t bit0,
                         std::size_t n, T* out, std::uint8_t* out_valid, fill_state<T>& st) {
  TSFILL_DISPATCH(i, forward_fill_bitmap, in, valid, bit0, n, out, out_valid, st)
  scalar::forward_fill_bitmap(in, valid, bit0, n, out, out_valid, 0, st);
}

template <class T>
void backward_fill_bitmap(isa i, const T* in, const std::uint8_t* valid, std::size_t bit0,
                          std::size_t n, T* out, std::uint8_t* out_valid, fill_state<T>& st) {
  TSFILL_DISPATCH(i, backward_fill_bitmap, in, valid, bit0, n, out, out_valid, st)
  scalar::backward_fill_bitmap(in, valid, bit0, n, out, out_valid, 0, st);
}

// Whole floating columns with NaN as missing; the validity bitmap out may be null.
template <class T>
void forward_fill_nan(isa i, const T* in, std::size_t n, T* out, std::uint8_t* out_valid,
                      fill_state<T>& st) {
  TSFILL_DISPATCH(i, forward_fill_nan, in, n, out, out_valid, st)
  scalar::forward_fill_nan(in, n, out, out_valid, 0, st);
}

template <class T>
void backward_fill_nan(isa i, const T* in, std::size_t n, T* out, std::uint8_t* out_valid,
                       fill_state<T>& st) {
  TSFILL_DISPATCH(i, backward_fill_nan, in, n, out, out_valid, st)
  scalar::backward_fill_nan(in, n, out, out_valid, 0, st);
}

#undef TSFILL_DISPATCH

}  // namespace detail
TSFILL_END_NAMESPACE
