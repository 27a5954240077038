// IWYU pragma: private, include <tsfill/tsfill.hpp>
// Namespace and compiler macros shared by every tsfill header.
#pragma once

#include <tsfill/version.hpp>

// Everything lives in a versioned inline namespace so that two major versions can be
// linked into one program without ODR clashes (the fmt / nlohmann::json approach).
#define TSFILL_BEGIN_NAMESPACE \
  namespace tsfill {           \
  inline namespace v0 {
#define TSFILL_END_NAMESPACE \
  }                          \
  }

#if defined(__GNUC__) || defined(__clang__)
#define TSFILL_RESTRICT __restrict
#define TSFILL_LIKELY(x) __builtin_expect(!!(x), 1)
#define TSFILL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TSFILL_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TSFILL_RESTRICT
#define TSFILL_LIKELY(x) (x)
#define TSFILL_UNLIKELY(x) (x)
#define TSFILL_ALWAYS_INLINE inline
#endif

// 128-bit integers are used for exact duration arithmetic and overflow checks outside the
// hot loops. GCC and Clang provide them on every 64-bit target we support.
#if defined(__SIZEOF_INT128__)
TSFILL_BEGIN_NAMESPACE
namespace detail {
__extension__ using int128 = __int128;
__extension__ using uint128 = unsigned __int128;
}  // namespace detail
TSFILL_END_NAMESPACE
#else
#error "tsfill needs a compiler with 128-bit integers (GCC or Clang on a 64-bit target)"
#endif
