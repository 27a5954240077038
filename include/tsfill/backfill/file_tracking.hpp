// ===========================================================================================
// File tracking: which input files are new, changed or gone, and which partitions a round
// of incremental ingestion must recompute from which files (pure functions)
// ===========================================================================================
//
// A store remembers every file it took: path, size, mtime, content hash, and the partitions
// its rows touch with how many rows each. A round compares a listing of the source with
// that record:
//   1. diff_files(): unseen paths are new; a path whose size or mtime moved is a candidate
//      (its content is hashed again: an identical hash means only touched); a tracked path
//      no longer listed is gone. Everything else is left alone, unread.
//   2. plan_round(): once the new and changed files are read (their partitions, or their
//      error), the partitions to recompute are every partition a new, changed, failed-now or
//      gone file touches or touched, and the files to read for them are all current readable
//      files with rows in any of them. Nothing else is read or written. (carry_forward():
//      with carry-in, every later partition too.)
// The result of a round is a pure function of the current files, so a round killed half way
// is simply done again: the store takes the files' new state only after their partitions
// are written.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

// A file as the store records it.
struct tracked_file {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::string hash;          // of the content (directory_sink.hpp's file_checksum)
  bool failed = false;       // unreadable: nothing of it is in the output
  std::string error;         // why (file, row and column)
  std::uint64_t rows = 0;    // rows it contributes
  std::string key_kinds;     // per key column: 'i' every word an integer, 's' not, '-' none
  std::int64_t seen_ms = 0;  // first seen
  std::int64_t processed_ms = 0;
  std::map<std::int64_t, std::uint64_t> partitions;  // partition -> rows

  friend bool operator==(const tracked_file&, const tracked_file&) = default;
};

// What a dataset was first written with: later files are read against it (a file's extra
// columns are left out, a value column it lacks is null in its rows), so every partition
// keeps the same columns.
struct dataset_schema {
  std::vector<std::string> value_names;
  std::string key_kinds;                   // dataset_key_kinds()
  std::vector<std::string> other_columns;  // the first files' columns left out (no notice)

  friend bool operator==(const dataset_schema&, const dataset_schema&) = default;
};

// A file as a listing of the source sees it.
struct observed_file {
  std::string path;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

struct file_diff {
  std::vector<observed_file> added;       // paths never seen
  std::vector<observed_file> candidates;  // size or mtime moved: hash to know
  std::vector<std::string> gone;          // tracked, no longer listed
  std::size_t unchanged = 0;
};

// Compares a listing (any order) with the tracked files (by path). `listed_all` says the
// listing covers every file the store may track (no --pattern/--modified-* narrowing):
// only then are tracked files missing from it gone.
inline file_diff diff_files(const std::map<std::string, tracked_file>& tracked,
                            std::vector<observed_file> listing, bool listed_all) {
  std::sort(listing.begin(), listing.end(),
            [](const observed_file& a, const observed_file& b) { return a.path < b.path; });
  // Both in path order: one merge, no lookups (100,000 files are the normal case).
  file_diff d;
  auto t = tracked.begin();
  for (observed_file& f : listing) {
    for (; t != tracked.end() && t->first < f.path; ++t)
      if (listed_all) d.gone.push_back(t->first);
    if (t == tracked.end() || t->first != f.path) {
      d.added.push_back(std::move(f));
      continue;
    }
    if (t->second.size != f.size || t->second.mtime_ns != f.mtime_ns)
      d.candidates.push_back(std::move(f));
    else
      ++d.unchanged;
    ++t;
  }
  for (; t != tracked.end() && listed_all; ++t) d.gone.push_back(t->first);
  return d;
}

// What reading a new or changed file found.
struct read_file {
  observed_file file;
  std::string hash;
  std::optional<std::string> error;  // unreadable: file, row and column
  std::uint64_t rows = 0;
  std::string key_kinds;
  std::map<std::int64_t, std::uint64_t> partitions;
};

struct round_plan {
  std::set<std::int64_t> partitions;          // to recompute (from the files below) or remove
  std::vector<std::string> read;              // path order: every readable file with rows in them
  std::map<std::string, tracked_file> after;  // the tracked files once the round is done
};

// Plans one round. `changed` holds the new files and the candidates whose hash differs (a
// candidate with the same hash is not a change: pass it in `touched` to record its new
// size and mtime). `left_over` are partitions a killed round left unfinished (recomputed
// again). `everything` recomputes every partition any file touches (the dataset's key kinds
// changed, so every partition's row order may).
inline round_plan plan_round(const std::map<std::string, tracked_file>& tracked,
                             const std::vector<read_file>& changed,
                             const std::vector<observed_file>& touched,
                             const std::vector<std::string>& gone,
                             const std::set<std::int64_t>& left_over, bool everything,
                             std::int64_t now_ms) {
  round_plan plan;
  plan.after = tracked;
  plan.partitions = left_over;
  auto old_partitions = [&](const std::string& path) {
    const auto it = tracked.find(path);
    if (it != tracked.end())
      for (const auto& [p, rows] : it->second.partitions) plan.partitions.insert(p);
  };
  for (const std::string& path : gone) {
    old_partitions(path);
    plan.after.erase(path);
  }
  for (const observed_file& f : touched) {
    tracked_file& t = plan.after.at(f.path);
    t.size = f.size;
    t.mtime_ns = f.mtime_ns;
  }
  for (const read_file& r : changed) {
    old_partitions(r.file.path);
    tracked_file& t = plan.after[r.file.path];
    if (t.path.empty()) t.seen_ms = now_ms;
    t.path = r.file.path;
    t.size = r.file.size;
    t.mtime_ns = r.file.mtime_ns;
    t.hash = r.hash;
    t.processed_ms = now_ms;
    t.failed = r.error.has_value();
    t.error = r.error.value_or("");
    t.rows = t.failed ? 0 : r.rows;
    t.key_kinds = t.failed ? "" : r.key_kinds;
    t.partitions = t.failed ? std::map<std::int64_t, std::uint64_t>{} : r.partitions;
    for (const auto& [p, rows] : t.partitions) plan.partitions.insert(p);
  }
  if (everything)
    for (const auto& [path, t] : plan.after)
      for (const auto& [p, rows] : t.partitions) plan.partitions.insert(p);
  for (const auto& [path, t] : plan.after) {  // (a map: path order)
    if (t.failed) continue;
    const bool contributes =
        std::any_of(t.partitions.begin(), t.partitions.end(),
                    [&](const auto& pr) { return plan.partitions.count(pr.first) != 0; });
    if (contributes) plan.read.push_back(path);
  }
  return plan;
}

// With carry-in, values flow from each partition into the next: a change to partition p may
// change every later one. Extends the plan to every partition from its first on, and its
// files to every readable file with rows up to the last (earlier partitions are read to
// carry values in, not written). A later partition whose bytes do not change keeps its file
// (directory_sink).
inline void carry_forward(round_plan& plan) {
  if (plan.partitions.empty()) return;
  const std::int64_t first = *plan.partitions.begin();
  for (const auto& [path, t] : plan.after)
    for (const auto& [p, rows] : t.partitions)
      if (p >= first) plan.partitions.insert(p);
  const std::int64_t last = *plan.partitions.rbegin();
  plan.read.clear();
  for (const auto& [path, t] : plan.after)
    if (!t.failed && !t.partitions.empty() && t.partitions.begin()->first <= last)
      plan.read.push_back(path);
}

// The dataset's kind of each key column over the readable files, as one read of all of them
// decides it: 's' if any file has a word that is no integer, else 'i' if any has words.
inline std::string dataset_key_kinds(const std::map<std::string, tracked_file>& files) {
  std::string kinds;
  for (const auto& [path, t] : files) {
    if (t.failed) continue;
    if (kinds.size() < t.key_kinds.size()) kinds.resize(t.key_kinds.size(), '-');
    for (std::size_t j = 0; j < t.key_kinds.size(); ++j)
      if (t.key_kinds[j] == 's' || (t.key_kinds[j] == 'i' && kinds[j] == '-'))
        kinds[j] = t.key_kinds[j];
  }
  return kinds;
}

}  // namespace backfill
TSFILL_END_NAMESPACE
