// Work spread over threads whose outcome must not depend on how many: every task runs, and
// the error reported is the one of the first task, in the tasks' order, that failed (the
// error one thread doing them in order would meet first).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace tsfill_io {

inline void run_in_order_of_errors(const std::vector<std::function<void()>>& tasks,
                                   unsigned threads) {
  std::vector<std::exception_ptr> failed(tasks.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < tasks.size();) {
      try {
        tasks[i]();
      } catch (...) {
        failed[i] = std::current_exception();
      }
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t k = 1; k < std::min<std::size_t>(std::max(1U, threads), tasks.size()); ++k)
    helpers.emplace_back(work);
  work();
  for (std::thread& h : helpers) h.join();
  for (const std::exception_ptr& e : failed)
    if (e) std::rethrow_exception(e);
}

}  // namespace tsfill_io
