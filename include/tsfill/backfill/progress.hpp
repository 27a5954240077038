// ===========================================================================================
// Backfill progress: what a store records per partition of a backfill, and the store concept
// ===========================================================================================
//
// A backfill computes partitions and records each one's state in a progress store, one state
// change at a time: PENDING -> RUNNING -> COMPLETE or FAILED. A RUNNING record left by a
// killed process is simply redone by the next run. Two stores model the concept:
// memory_store (below, for tests and embedding) and sqlite_store (sqlite_store.hpp, the
// durable one the program uses).
#pragma once

#include <concepts>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

enum class partition_status { pending, running, complete, failed };

inline const char* to_string(partition_status s) noexcept {
  switch (s) {
    case partition_status::pending:
      return "PENDING";
    case partition_status::running:
      return "RUNNING";
    case partition_status::complete:
      return "COMPLETE";
    case partition_status::failed:
      return "FAILED";
  }
  return "PENDING";
}

inline std::optional<partition_status> parse_status(std::string_view s) noexcept {
  for (const auto v : {partition_status::pending, partition_status::running,
                       partition_status::complete, partition_status::failed})
    if (s == to_string(v)) return v;
  return std::nullopt;
}

// One partition of one backfill. Times are milliseconds since the epoch (0: never).
struct partition_record {
  std::int64_t partition = 0;  // the partition id (a day number for day partitions)
  partition_status status = partition_status::pending;
  int attempts = 0;
  std::int64_t started_ms = 0, finished_ms = 0;
  std::uint64_t rows_in = 0, rows_out = 0;
  std::string checksum;  // of the written partition file
  std::string error;     // of the last failed attempt

  friend bool operator==(const partition_record&, const partition_record&) = default;
};

// One backfill: its name, the job it runs (the flags, so a resume with other flags is
// refused) and how its last run ended.
struct backfill_record {
  std::string id;
  std::string job;  // canonical text of the job flags
  std::int64_t created_ms = 0;
  std::int64_t last_started_ms = 0, last_finished_ms = 0;
  std::string last_outcome;  // "" (running or never ran), "done", "failed", "time budget"
  // Rows each row rule (e.g. --where) dropped from the input at the last run, in rule order.
  std::vector<std::pair<std::string, std::uint64_t>> rules;
  // Sequence ranges: the highest sequence number processed (every range up to it done).
  std::optional<std::int64_t> checkpoint;
};

// Refused: a resume whose job differs from the stored one, a store held by another process.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class store_busy : public store_error {
 public:
  using store_error::store_error;
};

// What the engine needs of a store. Every call is one durable state change (or a read).
template <class S>
concept progress_store = requires(S& s, const std::string& id, std::int64_t p,
                                  const std::vector<std::int64_t>& ps, const partition_record& r,
                                  const std::string& text, std::int64_t ms) {
  // Creates the backfill, or checks that `job` equals the stored one (store_error if not).
  { s.open_backfill(id, text, ms) } -> std::same_as<backfill_record>;
  { s.partitions(id) } -> std::same_as<std::map<std::int64_t, partition_record>>;
  {s.set_pending(id, ps)};       // these partitions PENDING (attempts kept)
  {s.mark_running(id, p, ms)};   // RUNNING, one more attempt
  {s.mark_done(id, r)};          // COMPLETE or FAILED with r's counts/error/times
  {s.finish_run(id, text, ms)};  // the run's outcome
  // The rows each row rule dropped (replaces what the last run recorded).
  {s.set_rules(id, std::vector<std::pair<std::string, std::uint64_t>>{})};
  {s.set_checkpoint(id, std::optional<std::int64_t>{})};  // (none: start over)
  { s.backfills() } -> std::same_as<std::vector<backfill_record>>;
};

// A store in memory: the reference model of the concept (tests, embedding without SQLite).
class memory_store {
 public:
  backfill_record open_backfill(const std::string& id, const std::string& job,
                                std::int64_t now_ms) {
    auto [it, added] =
        backfills_.try_emplace(id, backfill_record{id, job, now_ms, 0, 0, "", {}, {}});
    if (!added && it->second.job != job)
      throw store_error("backfill '" + id + "' was started with another job (" + it->second.job +
                        "); use a new --id or the same flags");
    it->second.last_started_ms = now_ms;
    it->second.last_outcome.clear();
    return it->second;
  }
  std::map<std::int64_t, partition_record> partitions(const std::string& id) const {
    const auto it = partitions_.find(id);
    return it == partitions_.end() ? std::map<std::int64_t, partition_record>{} : it->second;
  }
  void set_pending(const std::string& id, const std::vector<std::int64_t>& ps) {
    for (const std::int64_t p : ps) {
      partition_record& r = partitions_[id][p];
      r.partition = p;
      r.status = partition_status::pending;
    }
  }
  void mark_running(const std::string& id, std::int64_t p, std::int64_t now_ms) {
    partition_record& r = partitions_[id][p];
    r.partition = p;
    r.status = partition_status::running;
    ++r.attempts;
    r.started_ms = now_ms;
  }
  void mark_done(const std::string& id, const partition_record& done) {
    partition_record& r = partitions_[id][done.partition];
    const int attempts = r.attempts;
    const std::int64_t started = r.started_ms;
    r = done;
    r.attempts = attempts;
    r.started_ms = started;
  }
  void finish_run(const std::string& id, const std::string& outcome, std::int64_t now_ms) {
    backfill_record& b = backfills_.at(id);
    b.last_outcome = outcome;
    b.last_finished_ms = now_ms;
  }
  void set_rules(const std::string& id,
                 const std::vector<std::pair<std::string, std::uint64_t>>& rules) {
    backfills_.at(id).rules = rules;
  }
  void set_checkpoint(const std::string& id, std::optional<std::int64_t> checkpoint) {
    backfills_.at(id).checkpoint = checkpoint;
  }
  std::vector<backfill_record> backfills() const {
    std::vector<backfill_record> v;
    for (const auto& [id, b] : backfills_) v.push_back(b);
    return v;
  }

 private:
  std::map<std::string, backfill_record> backfills_;
  std::map<std::string, std::map<std::int64_t, partition_record>> partitions_;
};

static_assert(progress_store<memory_store>);

}  // namespace backfill
TSFILL_END_NAMESPACE
