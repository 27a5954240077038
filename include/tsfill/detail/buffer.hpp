// IWYU pragma: private, include <tsfill/tsfill.hpp>
// An owning array that does not zero its memory: the pipeline writes every element it
// allocates, so zeroing (and touching every page up front) would be wasted work.
//
// Large arrays (>= 4 MiB) are, on Linux, mapped directly, 2 MiB-aligned, and kept for reuse
// (block_cache). Transparent huge pages are opt-in (huge_pages_enabled): on our 2-core VM
// advising them made a cold 10 M-row run 2.8x slower (2.8 s vs 1.0 s, the kernel zeroing
// and compacting 2 MiB at a time) and a warm run no faster.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

#include <tsfill/detail/config.hpp>

#if defined(__linux__)
#include <sys/mman.h>
#endif

TSFILL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::size_t huge_page = std::size_t{2} << 20;
inline constexpr std::size_t large_block = std::size_t{4} << 20;

// Whether large blocks are advised to use transparent huge pages (tsfill::use_huge_pages).
inline std::atomic<bool>& huge_pages_enabled() {
  static std::atomic<bool> enabled{false};
  return enabled;
}

// Large blocks freed by one run are kept for the next one (a run allocates the same sizes
// again), like jemalloc's retained pages: a fresh mapping costs a page fault and a page
// clear per page on first touch, about half of a run's time. Blocks unused for
// `decay_seconds` are unmapped at the next cache operation; the total kept is bounded.
class block_cache {
 public:
  static block_cache& instance() {
    static block_cache cache;
    return cache;
  }
  // A cached mapping of at least `bytes` (and at most 25 % more), or nullptr.
  void* take(std::size_t bytes, std::size_t* mapped_bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    decay();
    std::size_t best = blocks_.size();
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      const std::size_t size = blocks_[i].bytes;
      if (size >= bytes && size <= bytes + bytes / 4 &&
          (best == blocks_.size() || size < blocks_[best].bytes))
        best = i;
    }
    if (best == blocks_.size()) return nullptr;
    void* m = blocks_[best].mapping;
    *mapped_bytes = blocks_[best].bytes;
    cached_ -= blocks_[best].bytes;
    blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(best));
    return m;
  }
  // Keeps the mapping for reuse; false when it does not fit under the limit.
  bool give(void* mapping, std::size_t bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    decay();
    if (cached_ + bytes > limit_) return false;
    blocks_.push_back({mapping, bytes, std::chrono::steady_clock::now()});
    cached_ += bytes;
    return true;
  }
  void set_limit(std::size_t bytes) {
    const std::lock_guard<std::mutex> lock(mutex_);
    limit_ = bytes;
    while (cached_ > limit_) release_oldest();
  }
  std::size_t cached_bytes() {
    const std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }
  ~block_cache() {
    for (const entry& e : blocks_) unmap(e.mapping, e.bytes);
  }

  static void unmap(void* mapping, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::munmap(mapping, bytes);
#else
    (void)bytes;
    std::free(mapping);
#endif
  }

 private:
  struct entry {
    void* mapping;
    std::size_t bytes;
    std::chrono::steady_clock::time_point since;
  };
  static constexpr double decay_seconds = 10.0;
  void decay() {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < blocks_.size();) {
      if (std::chrono::duration<double>(now - blocks_[i].since).count() > decay_seconds) {
        unmap(blocks_[i].mapping, blocks_[i].bytes);
        cached_ -= blocks_[i].bytes;
        blocks_.erase(blocks_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
  }
  void release_oldest() {
    unmap(blocks_.front().mapping, blocks_.front().bytes);
    cached_ -= blocks_.front().bytes;
    blocks_.erase(blocks_.begin());
  }
  std::mutex mutex_;
  std::vector<entry> blocks_;
  std::size_t cached_ = 0;
  std::size_t limit_ = std::size_t{2} << 30;
};

// Where a buffer's memory came from, so it can be given back the same way.
struct block {
  void* data = nullptr;     // the usable bytes (2 MiB-aligned for mapped blocks)
  void* mapping = nullptr;  // the mapping to unmap, or the malloc pointer
  std::size_t mapped = 0;   // bytes mapped; 0 when the block came from malloc
};

inline block allocate_block(std::size_t bytes) {
  block b;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= large_block) {
    // Large blocks are mapped directly (cached ones reused), 2 MiB-aligned so that whole
    // huge pages back them.
    const std::size_t payload = (bytes + huge_page - 1) / huge_page * huge_page;
    std::size_t mapped = payload + huge_page;  // slack to align the start
    void* m = block_cache::instance().take(mapped, &mapped);
    if (!m) {
      m = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) throw std::bad_alloc();
    }
    auto* start = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(m) + huge_page - 1) /
                                          huge_page * huge_page);
    if (huge_pages_enabled().load(std::memory_order_relaxed))
      ::madvise(start, payload, MADV_HUGEPAGE);  // advice only: failure is harmless
    b.data = start;
    b.mapping = m;
    b.mapped = mapped;
    return b;
  }
#endif
  b.data = b.mapping = std::malloc(bytes ? bytes : 1);
  if (!b.data) throw std::bad_alloc();
  return b;
}

inline void free_block(const block& b) noexcept {
  if (!b.mapping) return;
  if (b.mapped == 0) return std::free(b.mapping);
  try {
    if (block_cache::instance().give(b.mapping, b.mapped)) return;
  } catch (...) {  // a mutex that cannot lock: just unmap
  }
  block_cache::unmap(b.mapping, b.mapped);
}

template <class T>
class buffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  buffer() = default;
  explicit buffer(std::size_t n) : block_(n ? allocate_block(n * sizeof(T)) : block{}), size_(n) {}
  buffer(buffer&& o) noexcept : block_(o.block_), size_(o.size_) {
    o.block_ = {};
    o.size_ = 0;
  }
  buffer& operator=(buffer&& o) noexcept {
    if (this != &o) {
      free_block(block_);
      block_ = o.block_;
      size_ = o.size_;
      o.block_ = {};
      o.size_ = 0;
    }
    return *this;
  }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  ~buffer() { free_block(block_); }

  T* data() noexcept { return static_cast<T*>(block_.data); }
  const T* data() const noexcept { return static_cast<const T*>(block_.data); }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](std::size_t i) noexcept { return data()[i]; }
  const T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T* begin() noexcept { return data(); }
  T* end() noexcept { return data() + size_; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size_; }
  std::span<T> span() noexcept { return {data(), size_}; }
  std::span<const T> span() const noexcept { return {data(), size_}; }
  void reset() noexcept { *this = buffer(); }
  // Forgets the elements from n on (the memory stays until the buffer is freed).
  void truncate(std::size_t n) noexcept { size_ = n < size_ ? n : size_; }

 private:
  block block_;
  std::size_t size_ = 0;
};

}  // namespace detail
TSFILL_END_NAMESPACE
