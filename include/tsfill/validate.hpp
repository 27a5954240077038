// Checks of a result's shape.
//
//   check_uniform(result)             every key has the same number of slots within each
//                                     partition (what partition-wide and session grids promise)
//   check_uniform(result, expected)   ... and that number is expected(partition id), when the
//                                     callback gives one (a session grid's slot count)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/result.hpp>

TSFILL_BEGIN_NAMESPACE

struct partition_shape {
  std::int64_t partition;
  std::size_t keys;
  std::size_t min_slots, max_slots;     // over the partition's keys
  std::optional<std::size_t> expected;  // when given
  bool ok() const noexcept {
    return min_slots == max_slots && (!expected || *expected == min_slots);
  }
};

struct uniformity_report {
  std::size_t partitions = 0;
  std::vector<partition_shape>
      problems;  // the partitions that are not uniform (or not as expected)
  bool uniform() const noexcept { return problems.empty(); }
};

inline uniformity_report check_uniform(
    const result& r, const std::function<std::optional<std::size_t>(std::int64_t)>& expected = {}) {
  uniformity_report report;
  const auto segments = r.segments();
  for (std::size_t s = 0; s < segments.size();) {
    partition_shape shape{segments[s].partition, 0, SIZE_MAX, 0, std::nullopt};
    for (; s < segments.size() && segments[s].partition == shape.partition; ++s) {
      ++shape.keys;
      shape.min_slots = std::min(shape.min_slots, segments[s].size);
      shape.max_slots = std::max(shape.max_slots, segments[s].size);
    }
    if (expected) shape.expected = expected(shape.partition);
    ++report.partitions;
    if (!shape.ok()) report.problems.push_back(shape);
  }
  return report;
}

TSFILL_END_NAMESPACE
