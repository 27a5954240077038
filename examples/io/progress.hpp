// A one-line progress report on stderr ("reading silver.csv: 42% 1.3M rows 2.1M rows/s
// ETA 3s"), drawn only when stderr is a terminal and at most four times a second
// (TSFILL_PROGRESS_INTERVAL_MS changes that, for tests).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace tsfill_io {

class progress_line {
 public:
  progress_line(bool enabled, std::string what, std::size_t total_bytes)
      : enabled_(enabled && isatty(2) == 1),
        what_(std::move(what)),
        total_(total_bytes),
        start_(std::chrono::steady_clock::now()),
        last_(start_) {
    if (const char* ms = std::getenv("TSFILL_PROGRESS_INTERVAL_MS"))
      interval_ = std::chrono::milliseconds(std::atol(ms));
  }

  void update(std::size_t bytes_done, std::size_t rows) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < interval_) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double frac = total_ ? static_cast<double>(bytes_done) / static_cast<double>(total_) : 0;
    const double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
    std::fprintf(stderr, "\r%s: %3.0f%% %.1fM rows %.1fM rows/s ETA %.0fs   ", what_.c_str(),
                 frac * 100, static_cast<double>(rows) / 1e6,
                 static_cast<double>(rows) / 1e6 / (secs > 0 ? secs : 1), eta);
    drawn_ = true;
  }
  void finish(std::size_t) {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
  }
  ~progress_line() { finish(0); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

 private:
  bool enabled_;
  std::string what_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_, last_;
  std::chrono::milliseconds interval_{250};
  bool drawn_ = false;
};

}  // namespace tsfill_io
