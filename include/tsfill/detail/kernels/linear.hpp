// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Linear interpolation of a whole column over an Arrow validity bitmap (any bit offset), by
// position: a missing element between valid elements at positions p < i < q gets
// y[p] + (y[q] - y[p]) * (i - p) / (q - p) (int64: the exact value rounded half away from
// zero). Leading and trailing missing elements stay missing: no extrapolation.
//
// The output validity is therefore one run of ones from the first to the last valid
// element. The kernel copies the values (a memcpy), then visits only the gaps, found 64
// elements at a time with count-trailing-zeros on the validity words; inside a gap the
// loop has no dependency between elements, so long gaps vectorize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/gap_fill.hpp>
#include <tsfill/detail/kernels/locf_scalar.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// 64 validity bits for elements [pos, pos + 64) of an n-element column whose bits start at
// bit0 of `bits`; bits past n are 0.
inline std::uint64_t validity_word(const std::uint8_t* bits, std::size_t bit0, std::size_t n,
                                   std::size_t pos) noexcept {
  const std::size_t bit = bit0 + pos, byte = bit >> 3, total = (bit0 + n + 7) >> 3;
  std::uint8_t buf[16] = {};
  std::memcpy(buf, bits + byte, total - byte < 9 ? total - byte : 9);
  std::uint64_t lo, hi;
  std::memcpy(&lo, buf, 8);
  std::memcpy(&hi, buf + 8, 8);
  const unsigned shift = bit & 7U;
  std::uint64_t w = shift ? (lo >> shift) | (hi << (64 - shift)) : lo;
  if (n - pos < 64) w &= (std::uint64_t{1} << (n - pos)) - 1;
  return w;
}

// Fills the gap [a, q) between valid elements p = a - 1 and q.
template <class T>
TSFILL_ALWAYS_INLINE void interpolate_gap(const T* TSFILL_RESTRICT in, T* TSFILL_RESTRICT out,
                                          std::size_t a, std::size_t q) noexcept {
  const std::size_t p = a - 1;
  const T y0 = in[p], y1 = in[q];
  if constexpr (std::is_floating_point_v<T>) {
    const double d0 = static_cast<double>(y0), dy = static_cast<double>(y1) - d0;
    const double span = static_cast<double>(q - p);
    for (std::size_t k = a; k < q; ++k)
      out[k] = static_cast<T>(d0 + dy * (static_cast<double>(k - p) / span));
  } else {
    for (std::size_t k = a; k < q; ++k)
      out[k] = interpolate(y0, y1, static_cast<std::int64_t>(p), static_cast<std::int64_t>(k),
                           static_cast<std::int64_t>(q));
  }
}

template <class T>
void linear_fill_bitmap(const T* TSFILL_RESTRICT in, const std::uint8_t* valid, std::size_t bit0,
                        std::size_t n, T* TSFILL_RESTRICT out, std::uint8_t* out_valid) {
  if (n == 0) return;  // (memcpy from an empty column's null pointer is undefined)
  std::memcpy(out, in, n * sizeof(T));
  // One pass over the validity, 64 elements at a time. A gap is a run of missing elements;
  // `open` is the start of a gap that ran to the end of the previous word.
  constexpr std::size_t none = SIZE_MAX;
  std::size_t first = none, last = none, open = none;
  for (std::size_t pos = 0; pos < n; pos += 64) {
    const std::size_t len = n - pos < 64 ? n - pos : 64;
    const std::uint64_t all = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
    const std::uint64_t v = validity_word(valid, bit0, n, pos);
    if (v != 0) {
      if (first == none) first = pos + static_cast<std::size_t>(__builtin_ctzll(v));
      last = pos + 63 - static_cast<std::size_t>(__builtin_clzll(v));
    }
    // A gap from the previous word that ends where this word starts.
    if (open != none && (v & 1U)) {
      if (open > 0) interpolate_gap(in, out, open, pos);
      open = none;
    }
    std::uint64_t missing = ~v & all;
    while (missing) {
      const unsigned j = static_cast<unsigned>(__builtin_ctzll(missing));
      const std::uint64_t after = v >> j;  // the valid bits from j on
      const unsigned run = after ? static_cast<unsigned>(__builtin_ctzll(after)) : 64U - j;
      const std::size_t a = j == 0 && open != none ? open : pos + j;
      if (j + run >= len) {  // reaches the end of the word: the gap may go on
        open = a;
        break;
      }
      // A gap [a, q) closed inside this word; its start has a valid predecessor unless a = 0.
      if (a > 0) interpolate_gap(in, out, a, pos + j + run);
      open = none;
      missing &= ~std::uint64_t{0} << (j + run);
    }
  }
  const std::size_t end = last == none ? 0 : last + 1;
  for (std::size_t i = 0; i < (first == none ? n : first); ++i) out[i] = null_placeholder<T>();
  for (std::size_t i = end; i < n; ++i) out[i] = null_placeholder<T>();
  if (out_valid) {
    // Ones from `first` to `last`, zeros elsewhere.
    std::memset(out_valid, 0, (n + 7) / 8);
    for (std::size_t k = first == none ? n : first; k < end;) {
      if ((k & 7U) == 0 && k + 8 <= end) {
        const std::size_t full = (end - k) / 8;
        std::memset(out_valid + k / 8, 0xFF, full);
        k += full * 8;
      } else {
        out_valid[k / 8] = static_cast<std::uint8_t>(out_valid[k / 8] | 1U << (k & 7U));
        ++k;
      }
    }
  }
}

namespace scalar {

// The reference: for each missing element, search for its neighbours.
template <class T>
void linear_fill_bitmap(const T* in, const std::uint8_t* valid, std::size_t bit0, std::size_t n,
                        T* out, std::uint8_t* out_valid) {
  if (out_valid) std::memset(out_valid, 0, (n + 7) / 8);
  for (std::size_t i = 0; i < n; ++i) {
    bool ok = bit_is_set(valid, bit0 + i);
    T y = in[i];
    if (!ok) {
      std::size_t p = i, q = i;
      while (p > 0 && !bit_is_set(valid, bit0 + p - 1)) --p;
      while (q < n && !bit_is_set(valid, bit0 + q)) ++q;
      ok = p > 0 && q < n;
      y = ok ? interpolate(in[p - 1], in[q], static_cast<std::int64_t>(p - 1),
                           static_cast<std::int64_t>(i), static_cast<std::int64_t>(q))
             : null_placeholder<T>();
    }
    out[i] = y;
    if (out_valid && ok)
      out_valid[i / 8] = static_cast<std::uint8_t>(out_valid[i / 8] | 1U << (i & 7U));
  }
}

}  // namespace scalar
}  // namespace detail
TSFILL_END_NAMESPACE
