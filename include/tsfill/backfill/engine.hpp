// ===========================================================================================
// The backfill engine: batches computed by N workers, each state change recorded in a store
// ===========================================================================================
//
// run() takes the planned batches (plan.hpp) and a compute function that reads one batch,
// runs the job and writes its target partitions (e.g. through a directory_sink), returning
// per target its rows and checksum. Around it the engine keeps the store true:
//   PENDING (all targets, at the start) -> RUNNING (one more attempt) -> COMPLETE | FAILED.
// A failing batch is retried after an exponential backoff with jitter; a failing batch of
// several partitions is first split into single partitions, so one bad partition fails
// alone and the rest go on. With `in_order` (carry-in: each batch needs the previous
// one's carry-out, or sequence ranges) batches run one after another and a final failure
// stops the run, the rest left PENDING; a batch's checkpoint (the highest sequence number
// of its range) is recorded once all of its partitions are COMPLETE. A time budget stops
// starting new batches; their partitions stay PENDING for the next run. The store is only
// touched under one mutex, so it need not be thread-safe; an error of the store itself ends
// the run (rethrown).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <tsfill/backfill/plan.hpp>
#include <tsfill/backfill/progress.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

// What compute() reports for each target partition it wrote.
struct partition_result {
  std::int64_t partition = 0;
  std::uint64_t rows_in = 0, rows_out = 0;
  std::string checksum;
};

// Reads, computes and writes the targets of one batch; throws (any std::exception) when
// it cannot. Called from the worker threads, at most `workers` at once.
using compute_fn = std::function<std::vector<partition_result>(const batch&)>;

struct engine_options {
  unsigned workers = 1;
  unsigned retries = 2;                    // further attempts of a failing partition
  std::chrono::milliseconds backoff{500};  // before the first retry; doubles per retry
  std::uint64_t jitter_seed = 0;           // each delay is scaled by a factor in [0.5, 1.5)
  std::optional<std::chrono::steady_clock::duration> time_budget;  // start nothing after it
  bool in_order = false;  // batches one after another; a final failure stops the run
  // Asked before each batch starts: true starts nothing more (e.g. after SIGTERM); the
  // batches running finish and are recorded, the rest stay PENDING.
  std::function<bool()> stop_requested;
  // Called (serialized) after each partition is recorded COMPLETE or FAILED, and before a
  // retry (attempt = the one that failed).
  std::function<void(const partition_record&)> on_partition;
  std::function<void(const batch&, int attempt, const std::string& error,
                     std::chrono::milliseconds delay)>
      on_retry;
};

struct run_summary {
  std::size_t complete = 0, failed = 0, pending = 0;  // targets, after the run
  std::uint64_t rows_in = 0, rows_out = 0;
  bool budget_stop = false;   // the time budget left partitions PENDING
  bool stopped = false;       // stop_requested left partitions PENDING
  bool failure_stop = false;  // in order: a failure left later partitions PENDING
  std::string outcome() const {
    if (failed) return "failed";
    if (budget_stop) return "time budget";
    return pending ? "stopped" : "done";
  }
};

inline std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <progress_store Store>
run_summary run(Store& store, const std::string& id, std::vector<batch> batches,
                const compute_fn& compute, const engine_options& opt) {
  std::vector<std::int64_t> targets;
  for (const batch& b : batches) targets.insert(targets.end(), b.targets.begin(), b.targets.end());
  store.set_pending(id, targets);

  const auto started = std::chrono::steady_clock::now();
  std::mutex m;  // guards everything below and every store call
  std::deque<batch> queue(std::make_move_iterator(batches.begin()),
                          std::make_move_iterator(batches.end()));
  run_summary summary;
  std::exception_ptr fatal;
  bool stop = false;
  std::mt19937_64 jitter(opt.jitter_seed);
  std::map<std::int64_t, std::pair<int, std::int64_t>> tries;  // attempts, last start

  auto record = [&](std::int64_t p, partition_status s, const partition_result* r,
                    const std::string& error) {  // under m
    partition_record rec;
    rec.partition = p;
    rec.status = s;
    rec.finished_ms = wall_clock_ms();
    rec.error = error;
    rec.attempts = tries[p].first;
    rec.started_ms = tries[p].second;
    if (r) {
      rec.rows_in = r->rows_in;
      rec.rows_out = r->rows_out;
      rec.checksum = r->checksum;
      summary.rows_in += r->rows_in;
      summary.rows_out += r->rows_out;
    }
    store.mark_done(id, rec);
    (s == partition_status::complete ? summary.complete : summary.failed) += 1;
    if (opt.on_partition) opt.on_partition(rec);
  };

  // One batch, with its retries. Returns false when the run must stop (in order, failed).
  auto attempt_batch = [&](const batch& b) -> bool {
    for (int attempt = 1;; ++attempt) {
      {
        std::lock_guard lock(m);
        for (const std::int64_t p : b.targets) {
          const std::int64_t now = wall_clock_ms();
          store.mark_running(id, p, now);
          tries[p] = {tries[p].first + 1, now};
        }
      }
      std::string error;
      try {
        const std::vector<partition_result> results = compute(b);
        std::lock_guard lock(m);
        bool all = true;
        for (const std::int64_t p : b.targets) {
          const auto it = std::find_if(results.begin(), results.end(),
                                       [&](const partition_result& r) { return r.partition == p; });
          all = all && it != results.end();
          if (it == results.end())
            record(p, partition_status::failed, nullptr, "the job wrote no result for it");
          else
            record(p, partition_status::complete, &*it, "");
        }
        if (b.checkpoint && all) store.set_checkpoint(id, b.checkpoint);
        return all || !opt.in_order;
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard lock(m);
      if (b.targets.size() > 1 && !opt.in_order) {
        // Find the bad partition(s): each alone, with its own retries.
        for (auto p = b.targets.rbegin(); p != b.targets.rend(); ++p) {
          batch alone;
          alone.partitions = alone.targets = {*p};
          alone.up_to = b.up_to;
          queue.push_front(std::move(alone));
        }
        for (const std::int64_t p : b.targets) store.set_pending(id, {p});
        return true;
      }
      if (attempt <= static_cast<int>(opt.retries)) {
        const double scale = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter);
        const auto delay = std::chrono::milliseconds(
            static_cast<std::int64_t>(static_cast<double>(opt.backoff.count()) *
                                      static_cast<double>(1LL << (attempt - 1)) * scale));
        if (opt.on_retry) opt.on_retry(b, attempt, error, delay);
        m.unlock();
        std::this_thread::sleep_for(delay);
        m.lock();
        continue;
      }
      if (b.targets.empty()) {  // a batch computed for carry-in only: what follows cannot run
        error = "values cannot be carried in: partitions " + std::to_string(b.first()) + ".." +
                std::to_string(b.last()) + " failed: " + error;
        for (const batch& rest : queue)
          for (const std::int64_t p : rest.targets)
            record(p, partition_status::failed, nullptr, error);
        queue.clear();
        return false;
      }
      for (const std::int64_t p : b.targets) record(p, partition_status::failed, nullptr, error);
      return !opt.in_order;
    }
  };

  auto worker = [&] {
    for (;;) {
      batch b;
      {
        std::lock_guard lock(m);
        if (stop || fatal || queue.empty()) return;
        if (opt.time_budget && std::chrono::steady_clock::now() - started >= *opt.time_budget) {
          summary.budget_stop = true;
          stop = true;
          return;
        }
        if (opt.stop_requested && opt.stop_requested()) {
          summary.stopped = true;
          stop = true;
          return;
        }
        b = std::move(queue.front());
        queue.pop_front();
      }
      try {
        if (!attempt_batch(b)) {
          std::lock_guard lock(m);
          summary.failure_stop = !queue.empty();
          stop = true;
        }
      } catch (...) {  // the store failed: nothing can be recorded any more
        std::lock_guard lock(m);
        if (!fatal) fatal = std::current_exception();
      }
    }
  };

  const unsigned n = opt.in_order ? 1U : std::max(1U, opt.workers);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (fatal) std::rethrow_exception(fatal);
  for (const batch& b : queue) summary.pending += b.targets.size();
  return summary;
}

}  // namespace backfill
TSFILL_END_NAMESPACE
