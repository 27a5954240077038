// ===========================================================================================
// The backfill planner: which partitions to compute, and in which batches (pure functions)
// ===========================================================================================
//
// select_partitions() picks, from the partitions the input has, those in [from, to] that
// the reprocess mode says to compute given what the store recorded. make_batches() groups
// them into batches of at most `chunk` partitions, each read and computed at once (memory
// bounded by the batch). With carry-in, values flow from partition to partition, so the
// batches run in order and also cover the partitions before and between the selected ones
// (computed for their carry-out only, not written). make_sequence_batches() plans sequence
// ranges instead: per range of an increasing id, the partitions its rows touch.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include <tsfill/backfill/progress.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

// none: resume (skip COMPLETE and FAILED); failed: also redo FAILED; all: everything.
enum class reprocess_mode { none, failed, all };

inline std::optional<reprocess_mode> parse_reprocess(std::string_view s) noexcept {
  if (s == "none") return reprocess_mode::none;
  if (s == "failed") return reprocess_mode::failed;
  if (s == "all") return reprocess_mode::all;
  return std::nullopt;
}

// Whether a partition in `status` is computed again under `mode`.
constexpr bool recompute(partition_status status, reprocess_mode mode) noexcept {
  switch (status) {
    case partition_status::complete:
      return mode == reprocess_mode::all;
    case partition_status::failed:
      return mode != reprocess_mode::none;
    case partition_status::pending:
    case partition_status::running:
      return true;  // RUNNING: left by a process that died
  }
  return true;
}

// The partitions to compute: those of `available` (sorted, distinct) in [from, to] that
// have no record or whose record `mode` recomputes.
inline std::vector<std::int64_t> select_partitions(
    const std::vector<std::int64_t>& available, std::optional<std::int64_t> from,
    std::optional<std::int64_t> to, const std::map<std::int64_t, partition_record>& recorded,
    reprocess_mode mode) {
  std::vector<std::int64_t> out;
  for (const std::int64_t p : available) {
    if ((from && p < *from) || (to && p > *to)) continue;
    const auto it = recorded.find(p);
    if (it == recorded.end() || recompute(it->second.status, mode)) out.push_back(p);
  }
  return out;
}

// Partitions read and computed together; `targets` (a subset of `partitions`) are written
// and recorded, the others computed only to carry values into the next batch.
struct batch {
  std::vector<std::int64_t> partitions;
  std::vector<std::int64_t> targets;
  // Sequence ranges: only the rows with sequence numbers up to this one count, and once the
  // batch is done the store records `checkpoint` as the highest number processed.
  std::optional<std::int64_t> up_to;
  std::optional<std::int64_t> checkpoint;

  // One partition, computed and written.
  static batch of(std::int64_t partition) { return {{partition}, {partition}, {}, {}}; }

  std::int64_t first() const { return partitions.front(); }
  std::int64_t last() const { return partitions.back(); }
  bool contains(std::int64_t p) const {
    for (const std::int64_t q : partitions)
      if (q == p) return true;
    return false;
  }
};

// Batches of at most `chunk` (>= 1) partitions. Without carry-in: the selected partitions
// only, in order. With carry-in: every available partition up to the last selected one, in
// order (a backfill of one late week still needs the values carried into it).
inline std::vector<batch> make_batches(const std::vector<std::int64_t>& available,
                                       const std::vector<std::int64_t>& selected, std::size_t chunk,
                                       bool carry_in) {
  if (chunk == 0) chunk = 1;
  std::vector<batch> out;
  if (selected.empty()) return out;
  const std::vector<std::int64_t>* order = &selected;
  std::vector<std::int64_t> prefix;
  if (carry_in) {
    for (const std::int64_t p : available)
      if (p <= selected.back()) prefix.push_back(p);
    order = &prefix;
  }
  std::size_t s = 0;  // index into selected (both lists sorted)
  for (std::size_t i = 0; i < order->size(); i += chunk) {
    batch b;
    for (std::size_t j = i; j < order->size() && j < i + chunk; ++j) {
      const std::int64_t p = (*order)[j];
      b.partitions.push_back(p);
      while (s < selected.size() && selected[s] < p) ++s;
      if (s < selected.size() && selected[s] == p) b.targets.push_back(p);
    }
    out.push_back(std::move(b));
  }
  return out;
}

// Batches for sequence ranges (rows processed by ranges of an increasing sequence number,
// e.g. an ingestion id): `touched` maps each range, by its last number, to the partitions
// its rows touch. Each range, in order, recomputes those partitions from every row up to
// its end (up_to), in chunks of `chunk`; its last chunk carries the range's end as the
// checkpoint. After the last range every partition holds what one run over all rows gives.
inline std::vector<batch> make_sequence_batches(
    const std::map<std::int64_t, std::set<std::int64_t>>& touched, std::size_t chunk) {
  if (chunk == 0) chunk = 1;
  std::vector<batch> out;
  for (const auto& [end, partitions] : touched) {
    const std::vector<std::int64_t> ps(partitions.begin(), partitions.end());
    for (std::size_t i = 0; i < ps.size(); i += chunk) {
      batch b;
      b.partitions.assign(ps.begin() + static_cast<std::ptrdiff_t>(i),
                          ps.begin() + static_cast<std::ptrdiff_t>(std::min(ps.size(), i + chunk)));
      b.targets = b.partitions;
      b.up_to = end;
      if (i + chunk >= ps.size()) b.checkpoint = end;
      out.push_back(std::move(b));
    }
  }
  return out;
}

}  // namespace backfill
TSFILL_END_NAMESPACE
