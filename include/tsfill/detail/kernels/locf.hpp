// IWYU pragma: private, include <tsfill/policies/fill.hpp>
// Forward and backward fill of one segment without limits: the hot path of the reference
// scenario. Branch-free scalar loops (a select per cell, no data-dependent branch), so the
// speed does not depend on the null rate. These are the scalar reference kernels; SIMD
// variants must give identical output.
#pragma once

#include <cstddef>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail::scalar {

// status: in observed/missing, out observed/forward/missing.
template <class T>
inline void forward_fill(const T* TSFILL_RESTRICT original, T* TSFILL_RESTRICT filled,
                         cell_status* TSFILL_RESTRICT status, std::size_t n) noexcept {
  T carry = null_placeholder<T>();
  bool have = false;
  for (std::size_t i = 0; i < n; ++i) {
    const bool valid = status[i] == cell_status::observed;
    carry = valid ? original[i] : carry;
    have = have || valid;
    filled[i] = carry;
    status[i] =
        valid ? cell_status::observed : (have ? cell_status::forward : cell_status::missing);
  }
}

template <class T>
inline void backward_fill(const T* TSFILL_RESTRICT original, T* TSFILL_RESTRICT filled,
                          cell_status* TSFILL_RESTRICT status, std::size_t n) noexcept {
  T carry = null_placeholder<T>();
  bool have = false;
  for (std::size_t i = n; i-- > 0;) {
    const bool valid = status[i] == cell_status::observed;
    carry = valid ? original[i] : carry;
    have = have || valid;
    filled[i] = carry;
    status[i] =
        valid ? cell_status::observed : (have ? cell_status::backward : cell_status::missing);
  }
}

}  // namespace detail::scalar
TSFILL_END_NAMESPACE
