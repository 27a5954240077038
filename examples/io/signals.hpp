// SIGINT and SIGTERM: no partial output left behind, and a clean stop where a command can
// stop cleanly. main() calls watch_stop_signals() first: both signals are then blocked in
// every thread and taken by a thread of their own (sigwait), which runs in normal context
// and so may remove directories. On a signal it either
//   - sets the flag of a live graceful_stop (a command that finishes the partition being
//     written and stops: backfill, ingest), the first time; or
//   - removes every registered temp path (a file or directory being written aside) and
//     ends the process with 128 + the signal (130 for SIGINT, 143 for SIGTERM).
// A commit (the rename of a temp path into place) holds the registry's lock, so a signal
// never removes a temp path that is being renamed, nor ends the process between the two
// halves of a replace; so does every creation of a file or directory in a temp path, so
// that nothing new appears in one while it is being removed (the signal thread keeps the
// lock until the process ends).
#pragma once

#include <mutex>
#include <string>

namespace tsfill_io {

void watch_stop_signals();

// A temp path to remove when a signal ends the process, for the registration's lifetime.
class temp_path_registration {
 public:
  explicit temp_path_registration(std::string path);
  ~temp_path_registration();
  temp_path_registration(const temp_path_registration&) = delete;
  temp_path_registration& operator=(const temp_path_registration&) = delete;

 private:
  std::string path_;
};

// Held while a temp path is renamed into place: no signal is acted on meanwhile.
std::unique_lock<std::mutex> hold_signals();

// While one lives, the first SIGINT/SIGTERM asks the command to stop (requested()); a second
// one ends the process as above.
class graceful_stop {
 public:
  graceful_stop();
  ~graceful_stop();
  graceful_stop(const graceful_stop&) = delete;
  graceful_stop& operator=(const graceful_stop&) = delete;
  bool requested() const noexcept;
  int signal() const noexcept;  // the signal that asked (0: none)
};

}  // namespace tsfill_io
