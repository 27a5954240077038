#include "signals.hpp"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <thread>
#include <vector>

#include <pthread.h>
#include <unistd.h>

namespace tsfill_io {
namespace {

std::mutex registry_mutex;
std::vector<std::string>& temp_paths() {  // under registry_mutex
  static std::vector<std::string> paths;
  return paths;
}
std::atomic<int> graceful_count{0};
std::atomic<int> stop_signal{0};

void take_signals(sigset_t set) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    std::unique_lock lock(registry_mutex);
    if (graceful_count.load() > 0 && stop_signal.load() == 0) {
      stop_signal = sig;  // the command stops at its next safe point
      continue;
    }
    for (const std::string& p : temp_paths()) {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
    ::_exit(128 + sig);  // (the lock is held: no commit can start)
  }
}

}  // namespace

void watch_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // in this thread and every one it starts
  std::thread(take_signals, set).detach();
}

temp_path_registration::temp_path_registration(std::string path) : path_(std::move(path)) {
  std::lock_guard lock(registry_mutex);
  temp_paths().push_back(path_);
}

temp_path_registration::~temp_path_registration() {
  std::lock_guard lock(registry_mutex);
  auto& v = temp_paths();
  for (auto it = v.begin(); it != v.end(); ++it)
    if (*it == path_) {
      v.erase(it);
      break;
    }
}

std::unique_lock<std::mutex> hold_signals() {
  return std::unique_lock(registry_mutex);
}

graceful_stop::graceful_stop() {
  ++graceful_count;
}
graceful_stop::~graceful_stop() {
  --graceful_count;
}
bool graceful_stop::requested() const noexcept {
  return stop_signal.load() != 0;
}
int graceful_stop::signal() const noexcept {
  return stop_signal.load();
}

}  // namespace tsfill_io
