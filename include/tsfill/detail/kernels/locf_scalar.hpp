// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Forward fill (LOCF) and backward fill (NOCB) without limits: the scalar kernels. They are
// the reference the SIMD kernels (locf_avx2.hpp, locf_avx512.hpp) are tested against, and
// the fallback where no SIMD kernel applies. Written as a select per element, but the
// compiler may branch: measured at 0.39x memcpy with 10 % nulls and 0.16x with 50 %, so only
// the SIMD kernels are independent of the null rate.
//
// Three forms, by where validity comes from and goes to:
//   *_status   pipeline segments: status bytes in (observed / missing), out (+ forward or
//              backward for filled cells)
//   *_bitmap   an Arrow validity bitmap in (at any bit offset), a bitmap out
//   *_nan      NaN means missing (floating types); an optional bitmap out
// A fill_state carries the last value across calls, so long inputs can be cut in pieces
// (and SIMD kernels hand their tails here).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

template <class T>
struct fill_state {
  T value = null_placeholder<T>();
  bool have = false;  // a valid value was seen (value is it)
};

namespace scalar {

template <class T>
inline void forward_fill_status(const T* TSFILL_RESTRICT original, T* TSFILL_RESTRICT filled,
                                cell_status* TSFILL_RESTRICT status, std::size_t n,
                                fill_state<T>& st) noexcept {
  T carry = st.value;
  bool have = st.have;
  for (std::size_t i = 0; i < n; ++i) {
    const bool valid = status[i] == cell_status::observed;
    carry = valid ? original[i] : carry;
    have = have || valid;
    filled[i] = carry;
    status[i] =
        valid ? cell_status::observed : (have ? cell_status::forward : cell_status::missing);
  }
  st = {carry, have};
}

template <class T>
inline void backward_fill_status(const T* TSFILL_RESTRICT original, T* TSFILL_RESTRICT filled,
                                 cell_status* TSFILL_RESTRICT status, std::size_t n,
                                 fill_state<T>& st) noexcept {
  T carry = st.value;
  bool have = st.have;
  for (std::size_t i = n; i-- > 0;) {
    const bool valid = status[i] == cell_status::observed;
    carry = valid ? original[i] : carry;
    have = have || valid;
    filled[i] = carry;
    status[i] =
        valid ? cell_status::observed : (have ? cell_status::backward : cell_status::missing);
  }
  st = {carry, have};
}

// Elements [0, n) of `in`, element i valid when is_valid(i); validity out at bits
// out_bit0 + [0, n) of `out_valid` (out_bit0 a multiple of 8; may be null).
template <class T, class IsValid>
inline void forward_fill_where(const T* TSFILL_RESTRICT in, std::size_t n, T* TSFILL_RESTRICT out,
                               std::uint8_t* out_valid, std::size_t out_bit0, fill_state<T>& st,
                               const IsValid& is_valid) noexcept {
  T carry = st.value;
  bool have = st.have;
  std::uint8_t byte = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const bool v = is_valid(i);
    carry = v ? in[i] : carry;
    have = have || v;
    out[i] = carry;
    byte = static_cast<std::uint8_t>(byte | (have ? 1U << (i & 7U) : 0U));
    if (out_valid && ((i & 7U) == 7U || i + 1 == n)) {
      out_valid[(out_bit0 + i) >> 3] = byte;
      byte = 0;
    }
  }
  st = {carry, have};
}

template <class T, class IsValid>
inline void backward_fill_where(const T* TSFILL_RESTRICT in, std::size_t n, T* TSFILL_RESTRICT out,
                                std::uint8_t* out_valid, std::size_t out_bit0, fill_state<T>& st,
                                const IsValid& is_valid) noexcept {
  T carry = st.value;
  bool have = st.have;
  if (out_valid)
    for (std::size_t b = 0; b < (n + 7) / 8; ++b) out_valid[(out_bit0 >> 3) + b] = 0;
  for (std::size_t i = n; i-- > 0;) {
    const bool v = is_valid(i);
    carry = v ? in[i] : carry;
    have = have || v;
    out[i] = carry;
    if (out_valid && have) {
      std::uint8_t& byte = out_valid[(out_bit0 + i) >> 3];
      byte = static_cast<std::uint8_t>(byte | (1U << (i & 7U)));
    }
  }
  st = {carry, have};
}

// Validity bits bit0 + [0, n) of `valid`.
template <class T>
inline void forward_fill_bitmap(const T* TSFILL_RESTRICT in, const std::uint8_t* valid,
                                std::size_t bit0, std::size_t n, T* TSFILL_RESTRICT out,
                                std::uint8_t* out_valid, std::size_t out_bit0,
                                fill_state<T>& st) noexcept {
  forward_fill_where(in, n, out, out_valid, out_bit0, st,
                     [valid, bit0](std::size_t i) { return bit_is_set(valid, bit0 + i); });
}

template <class T>
inline void backward_fill_bitmap(const T* TSFILL_RESTRICT in, const std::uint8_t* valid,
                                 std::size_t bit0, std::size_t n, T* TSFILL_RESTRICT out,
                                 std::uint8_t* out_valid, std::size_t out_bit0,
                                 fill_state<T>& st) noexcept {
  backward_fill_where(in, n, out, out_valid, out_bit0, st,
                      [valid, bit0](std::size_t i) { return bit_is_set(valid, bit0 + i); });
}

template <class T>
inline void forward_fill_nan(const T* TSFILL_RESTRICT in, std::size_t n, T* TSFILL_RESTRICT out,
                             std::uint8_t* out_valid, std::size_t out_bit0,
                             fill_state<T>& st) noexcept {
  static_assert(std::is_floating_point_v<T>, "NaN-as-missing needs a floating type");
  forward_fill_where(in, n, out, out_valid, out_bit0, st,
                     [in](std::size_t i) { return in[i] == in[i]; });  // not NaN
}

template <class T>
inline void backward_fill_nan(const T* TSFILL_RESTRICT in, std::size_t n, T* TSFILL_RESTRICT out,
                              std::uint8_t* out_valid, std::size_t out_bit0,
                              fill_state<T>& st) noexcept {
  static_assert(std::is_floating_point_v<T>, "NaN-as-missing needs a floating type");
  backward_fill_where(in, n, out, out_valid, out_bit0, st,
                      [in](std::size_t i) { return in[i] == in[i]; });
}

}  // namespace scalar
}  // namespace detail
TSFILL_END_NAMESPACE
