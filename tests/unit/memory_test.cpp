// The memory tsfill keeps between runs: large blocks are reused, the cache respects its
// limit, and huge-page advice changes nothing but speed.
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

namespace {

using tsfill::detail::buffer;
using tsfill::detail::large_block;

// Restores the process-wide settings a test changes.
struct memory_settings_guard {
  ~memory_settings_guard() {
    tsfill::use_huge_pages(false);
    tsfill::set_memory_cache_limit(std::size_t{2} << 30);
  }
};

TEST(Memory, LargeBlocksAreAlignedWritableAndReused) {
  memory_settings_guard guard;
  tsfill::set_memory_cache_limit(0);  // start empty
  tsfill::set_memory_cache_limit(std::size_t{1} << 30);
  const std::size_t n = large_block / sizeof(double) * 3;
  const double* first_data = nullptr;
  {
    buffer<double> b(n);
    first_data = b.data();
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % tsfill::detail::huge_page, 0u);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<double>(i);
    EXPECT_EQ(b[n - 1], static_cast<double>(n - 1));
  }
  EXPECT_GE(tsfill::cached_memory_bytes(), n * sizeof(double));
  buffer<double> again(n);  // same size: the cached mapping comes back
  EXPECT_EQ(again.data(), first_data);
  EXPECT_EQ(tsfill::cached_memory_bytes(), 0u);
}

TEST(Memory, LimitZeroEmptiesAndDisablesTheCache) {
  memory_settings_guard guard;
  { buffer<std::int64_t> b(large_block / 8 * 2); }
  tsfill::set_memory_cache_limit(0);
  EXPECT_EQ(tsfill::cached_memory_bytes(), 0u);
  { buffer<std::int64_t> b(large_block / 8 * 2); }
  EXPECT_EQ(tsfill::cached_memory_bytes(), 0u);
}

TEST(Memory, SmallBlocksBypassTheCache) {
  memory_settings_guard guard;
  tsfill::set_memory_cache_limit(0);
  tsfill::set_memory_cache_limit(std::size_t{1} << 30);
  { buffer<float> b(1000); }
  EXPECT_EQ(tsfill::cached_memory_bytes(), 0u);
}

TEST(Memory, HugePageAdviceGivesTheSameResult) {
  memory_settings_guard guard;
  using namespace std::chrono_literals;
  // Enough rows that the result's arrays are large blocks.
  const std::size_t n = 600'000;
  std::vector<std::int64_t> ts(n);
  std::vector<std::int32_t> key(n);
  std::vector<double> v(n);
  std::vector<std::uint8_t> valid((n + 7) / 8, 0);
  for (std::size_t i = 0; i < n; ++i) {
    key[i] = static_cast<std::int32_t>(i % 50);
    ts[i] = static_cast<std::int64_t>(i / 50) * 7 * 60'000'000'000LL;  // every 7 minutes
    v[i] = static_cast<double>(i);
    if (i % 3 != 0) valid[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
  }
  tsfill::table_view<> input{ts, {tsfill::key_column("k", key)}, {}};
  input.values.emplace_back("v", std::span<const double>(v), std::span<const std::uint8_t>(valid));
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{5min}};
  const tsfill::result plain = job.run(input);
  tsfill::use_huge_pages(true);
  tsfill::set_memory_cache_limit(0);  // fresh mappings, so the advice applies
  const tsfill::result advised = job.run(input);
  ASSERT_GT(plain.rows() * sizeof(double), large_block);
  ASSERT_EQ(plain.rows(), advised.rows());
  EXPECT_EQ(std::memcmp(plain.slot_times().data(), advised.slot_times().data(),
                        plain.rows() * sizeof(std::int64_t)),
            0);
  const auto& a = plain.value(0);
  const auto& b = advised.value(0);
  for (std::size_t i = 0; i < plain.rows(); ++i) {
    ASSERT_EQ(a.status()[i], b.status()[i]) << "cell " << i;
    if (a.filled_valid(i)) {
      ASSERT_EQ(a.filled<double>()[i], b.filled<double>()[i]) << "cell " << i;
    }
  }
}

}  // namespace
