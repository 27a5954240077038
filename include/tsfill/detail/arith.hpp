// IWYU pragma: private, include <tsfill/tsfill.hpp>
// Integer helpers: floor division and overflow-checked arithmetic.
#pragma once

#include <cstdint>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Division rounding toward negative infinity (b > 0). Timestamps before 1970 are negative
// and must fall into the slot that starts before them, not after.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return q - static_cast<std::int64_t>((a % b) < 0);
}

constexpr std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}

// Smallest q with q * b >= a (b > 0).
constexpr std::int64_t ceil_div(std::int64_t a, std::int64_t b) noexcept {
  return -floor_div(-a, b);
}

constexpr bool mul_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) noexcept {
  return __builtin_mul_overflow(a, b, out);
}
constexpr bool sub_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) noexcept {
  return __builtin_sub_overflow(a, b, out);
}
constexpr bool add_overflows(std::int64_t a, std::int64_t b, std::int64_t* out) noexcept {
  return __builtin_add_overflow(a, b, out);
}

}  // namespace detail
TSFILL_END_NAMESPACE
