// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Runs independent tasks on a few threads. Tasks are taken in order from a shared counter;
// what a task writes must not overlap another task's writes, so the result does not depend
// on the number of threads or on scheduling. The first exception thrown is rethrown.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

template <class F>
void parallel_for(std::size_t tasks, unsigned threads, F&& task) {
  if (threads <= 1 || tasks <= 1) {
    for (std::size_t i = 0; i < tasks; ++i) task(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < tasks;) {
      try {
        task(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        next.store(tasks);  // stop handing out work
      }
    }
  };
  std::vector<std::thread> pool;
  const unsigned extra = threads - 1 < tasks - 1 ? threads - 1 : static_cast<unsigned>(tasks - 1);
  pool.reserve(extra);
  for (unsigned t = 0; t < extra; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// Calls f(begin, end) for blocks of `block` consecutive indices covering [0, n), up to
// `threads` blocks at once: the row passes of a stage, split so each thread streams its
// own part of the columns.
template <class F>
void parallel_blocks(std::size_t n, unsigned threads, F&& f,
                     std::size_t block = std::size_t{1} << 18) {
  parallel_for((n + block - 1) / block, threads,
               [&](std::size_t b) { f(b * block, b * block + block < n ? b * block + block : n); });
}

}  // namespace detail
TSFILL_END_NAMESPACE
