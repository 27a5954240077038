// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Division by a divisor fixed at run time, without a hardware divide per element.
//
// For dividends u < 2^63 and a divisor d >= 2, with l = ceil(log2 d) and
// m = ceil(2^(63+l) / d) (which fits in 64 bits), floor(u / d) = floor(u * m / 2^(63+l))
// (Granlund & Montgomery, "Division by invariant integers using multiplication", PLDI 1994,
// theorem 4.2 with N = 63). That is one 64x64->128 multiply and one shift: about a quarter
// of the cost of a 64-bit idiv. The slot and partition of every row are computed this way.
#pragma once

#include <cstdint>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

class fast_divider {
 public:
  constexpr fast_divider() noexcept = default;
  // d > 0.
  constexpr explicit fast_divider(std::uint64_t d) noexcept : d_(d) {
    if (d == 1) return;
    unsigned l = 64U - static_cast<unsigned>(__builtin_clzll(d - 1));  // ceil(log2 d), >= 1
    const uint128 numerator = uint128{1} << (63 + l);
    magic_ = static_cast<std::uint64_t>((numerator + d - 1) / d);
    shift_ = l - 1;
  }
  // floor(u / d) for u < 2^63.
  constexpr std::uint64_t divide(std::uint64_t u) const noexcept {
    if (d_ == 1) return u;
    return static_cast<std::uint64_t>((static_cast<uint128>(u) * magic_) >> 64) >> shift_;
  }
  constexpr std::uint64_t divisor() const noexcept { return d_; }

 private:
  std::uint64_t d_ = 1;
  std::uint64_t magic_ = 0;
  unsigned shift_ = 0;
};

}  // namespace detail
TSFILL_END_NAMESPACE
