// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Instruction sets of the kernels, chosen once at run time.
//
// Every SIMD kernel is compiled for its instruction set with a target attribute and lives in
// a namespace named after it (detail::avx512, detail::avx2, detail::scalar), so the ISA is
// part of its symbol: two translation units built with different -m flags cannot hand the
// linker two different bodies under one name. Consumers need no -march flag; the best
// kernels the CPU supports are picked at run time. TSFILL_ISA=scalar|avx2|avx512 in the
// environment caps the choice (to compare, or to work around a platform problem).
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>

#include <tsfill/detail/config.hpp>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define TSFILL_X86_SIMD 1
#define TSFILL_TARGET_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))
#define TSFILL_TARGET_AVX512 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,bmi,bmi2,popcnt")))
#else
#define TSFILL_X86_SIMD 0
#endif

TSFILL_BEGIN_NAMESPACE
namespace detail {

enum class isa : int { scalar = 0, avx2 = 1, avx512 = 2 };

constexpr const char* to_string(isa i) noexcept {
  return i == isa::avx512 ? "avx512" : i == isa::avx2 ? "avx2" : "scalar";
}

inline isa detect_isa() noexcept {
#if TSFILL_X86_SIMD
  __builtin_cpu_init();
  isa best = isa::scalar;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2")) best = isa::avx2;
  if (best == isa::avx2 && __builtin_cpu_supports("avx512f") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    best = isa::avx512;
  if (const char* cap = std::getenv("TSFILL_ISA")) {
    if (std::strcmp(cap, "scalar") == 0) best = isa::scalar;
    if (std::strcmp(cap, "avx2") == 0 && best == isa::avx512) best = isa::avx2;
  }
  return best;
#else
  return isa::scalar;
#endif
}

// The ISA in use: the best supported, unless tests or benchmarks set one (never above the
// best supported).
inline std::atomic<int>& isa_override() noexcept {
  static std::atomic<int> value{-1};
  return value;
}
inline isa supported_isa() noexcept {
  static const isa best = detect_isa();
  return best;
}
inline isa active_isa() noexcept {
  const int forced = isa_override().load(std::memory_order_relaxed);
  const isa best = supported_isa();
  return forced >= 0 && forced < static_cast<int>(best) ? static_cast<isa>(forced) : best;
}
// For tests and benchmarks: use `i` (capped at what the CPU supports); -1 restores.
inline void force_isa(int i) noexcept {
  isa_override().store(i, std::memory_order_relaxed);
}

}  // namespace detail
TSFILL_END_NAMESPACE
