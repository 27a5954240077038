// Memory that tsfill keeps between runs.
//
// A run allocates its large arrays (outputs and per-row temporaries, hundreds of MiB for
// ten million rows) as 2 MiB-aligned mappings (on Linux). When a result
// or a temporary is freed, its mappings are kept in a process-wide cache and reused by the
// next run, which saves the page faults and page clearing of fresh memory (about half of a
// run's time on first touch). Mappings unused for 10 seconds are returned to the system at
// the next allocation or release; the cache never holds more than its limit (2 GiB unless
// set here).
#pragma once

#include <cstddef>

#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE

// Caps the bytes kept for reuse; 0 turns the cache off (and empties it).
inline void set_memory_cache_limit(std::size_t bytes) {
  detail::block_cache::instance().set_limit(bytes);
}

// Bytes currently kept for reuse.
inline std::size_t cached_memory_bytes() {
  return detail::block_cache::instance().cached_bytes();
}

// Advises large arrays allocated from now on to use transparent huge pages (Linux, when
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise"). Off by default: it can cut TLB
// misses on hosts with cheap huge-page faults, but on a 2-core VM it made a cold run 2.8x
// slower and a warm run no faster. Measure on your machine before turning it on.
inline void use_huge_pages(bool on) noexcept {
  detail::huge_pages_enabled().store(on, std::memory_order_relaxed);
}

TSFILL_END_NAMESPACE
