// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 2 of a run, plan: ask the grid policy which slots each (partition, key) gets, lay the
// cells out as segments in output order (partition, key, slot) inside the run's partition
// window, and give every cell its slot start time; grid_plan::cell_of maps rows to cells.
// Instantiated on the slot, partition and grid functions only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/detail/parallel.hpp>
#include <tsfill/detail/stages/index.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::uint32_t no_cell = no_index;

struct grid_plan {
  row_index rows;
  std::vector<segment> segments;
  std::vector<std::uint32_t> group_segment;  // per group: its segment, or no_index
  std::vector<std::int64_t> cell_ordinals;   // per cell, only for non-dense grids
  buffer<std::int64_t> slot_time;            // per cell: its slot's start, in ticks
  bool dense = true;
  std::size_t cells = 0;

  // The cell of row i, or no_cell when the grid has no cell for it.
  std::uint32_t cell_of(std::size_t i) const noexcept {
    const std::uint32_t si = group_segment[rows.group[i]];
    if (si == no_index) return no_cell;
    const segment& s = segments[si];
    const std::int64_t o = rows.ord[i];
    if (dense) {
      const std::int64_t rel = o - s.first_slot;
      return rel >= 0 && static_cast<std::uint64_t>(rel) < s.size
                 ? static_cast<std::uint32_t>(s.offset + static_cast<std::size_t>(rel))
                 : no_cell;
    }
    const auto b = cell_ordinals.begin() + static_cast<std::ptrdiff_t>(s.offset);
    const auto e = b + static_cast<std::ptrdiff_t>(s.size);
    const auto it = std::lower_bound(b, e, o);
    return it != e && *it == o ? static_cast<std::uint32_t>(it - cell_ordinals.begin()) : no_cell;
  }
};

// The slots whose start lies in partition `id`.
template <SlotFunction SF, PartitionFunction PF>
slot_range partition_bounds(const SF& sf, const PF& pf, std::int64_t id) {
  if constexpr (!PF::bounded) {
    return {INT64_MIN, INT64_MAX};
  } else {
    const std::int64_t begin = pf.begin(id);
    std::int64_t first = sf.ordinal(begin);
    if (sf.start(first) < begin) ++first;
    return {first, sf.ordinal(pf.end(id) - 1)};
  }
}

[[noreturn]] inline void throw_over_budget(std::size_t cells, double need, std::size_t allowed) {
  auto gb = [](double b) {
    const double g = b / 1e9;
    return g >= 10 ? std::to_string(static_cast<long long>(g)) + " GB"
                   : std::to_string(static_cast<long long>(g * 10) / 10) + "." +
                         std::to_string(static_cast<long long>(g * 10) % 10) + " GB";
  };
  throw resource_error("the grid would need at least " + gb(need) + " of memory (" +
                           std::to_string(cells) + " cells and counting), more than the " +
                           gb(static_cast<double>(allowed)) +
                           " allowed; check the grid, the slot width and the timestamps",
                       cells, static_cast<std::size_t>(need), allowed);
}

// The start time of every cell's slot, in parallel over blocks of segments.
template <SlotFunction SF>
void fill_slot_times(grid_plan& plan, const SF& sf, unsigned threads) {
  plan.slot_time = buffer<std::int64_t>(plan.cells);
  constexpr std::size_t segments_per_task = 4096;
  const std::size_t n = plan.segments.size();
  parallel_for((n + segments_per_task - 1) / segments_per_task, threads, [&](std::size_t task) {
    const std::size_t end = std::min(n, (task + 1) * segments_per_task);
    for (std::size_t s = task * segments_per_task; s < end; ++s) {
      const segment& seg = plan.segments[s];
      std::int64_t* out = plan.slot_time.data() + seg.offset;
      if (plan.dense) {
        for (std::size_t i = 0; i < seg.size; ++i)
          out[i] = sf.start(seg.first_slot + static_cast<std::int64_t>(i));
      } else {
        const std::int64_t* o = plan.cell_ordinals.data() + seg.offset;
        for (std::size_t i = 0; i < seg.size; ++i) out[i] = sf.start(o[i]);
      }
    }
  });
}

template <SlotFunction SF, PartitionFunction PF, GridFunction GF>
grid_plan plan_grid(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                    const SF& sf, const PF& pf, const GF& gf, const run_options& options,
                    double bytes_per_cell = 8) {
  grid_plan plan;
  plan.dense = gf.dense();
  plan.rows = index_rows(time, key_cols, sf, pf, options.threads, options.key_universe);
  std::size_t max_cells = options.max_cells;
  const row_index& ix = plan.rows;
  const std::size_t n = time.size();
  const std::size_t group_count = ix.group_pid.size();
  const std::size_t key_count = ix.keys.count;
  max_cells = std::min<std::size_t>(max_cells, no_cell - 1);  // cells are 32-bit indices

  // Non-dense grids: the distinct observed ordinals of each group, sorted.
  std::vector<std::size_t> obs_begin;  // per group, into obs_ords
  std::vector<std::int64_t> obs_ords;
  if (!plan.dense) {
    std::vector<std::pair<std::uint32_t, std::int64_t>> pairs(n);
    for (std::size_t i = 0; i < n; ++i) pairs[i] = {ix.group[i], ix.ord[i]};
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    obs_begin.assign(group_count + 1, 0);
    obs_ords.resize(pairs.size());
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      ++obs_begin[pairs[k].first + 1];
      obs_ords[k] = pairs[k].second;
    }
    for (std::size_t g = 0; g < group_count; ++g) obs_begin[g + 1] += obs_begin[g];
  }

  // Partitions in output order: those with rows, plus those the grid asks for, inside the
  // run's partition window.
  const slot_range window{options.first_partition, options.last_partition};
  std::vector<std::int64_t> pids;
  for (std::size_t g = 0; g < group_count; ++g)
    if ((pids.empty() || pids.back() != ix.group_pid[g]) && window.contains(ix.group_pid[g]))
      pids.push_back(ix.group_pid[g]);
  const slot_range extra = intersect(gf.partitions(), window);
  if (!extra.empty()) {
    if (static_cast<std::uint64_t>(extra.last - extra.first) > max_cells)
      throw invalid_argument("the grid asks for " + std::to_string(extra.size()) +
                             " partitions, more than max_cells allows");
    for (std::int64_t p = extra.first; p <= extra.last; ++p) pids.push_back(p);
    std::sort(pids.begin(), pids.end());
    pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  }

  // Lay out segments: partition, then key, then slot. Twice: first only counting, against
  // the limits (so a grid too large for memory is refused before anything is allocated,
  // and as soon as the count passes the limit), then for real.
  constexpr double bytes_per_segment = 64;
  const double cell_bytes = bytes_per_cell + (plan.dense ? 0 : 8);
  plan.group_segment.assign(group_count, no_index);
  std::size_t offset = 0, segment_count = 0;
  bool counting = true;
  auto over_budget = [&](std::size_t cells, std::size_t segments) {
    const double need =
        static_cast<double>(cells) * cell_bytes + static_cast<double>(segments) * bytes_per_segment;
    return need > static_cast<double>(options.max_bytes) ? need : 0.0;
  };
  auto lay_out = [&] {
    std::size_t g = 0;  // next group; groups are sorted by (partition, key)
    for (const std::int64_t pid : pids) {
      while (g < group_count && ix.group_pid[g] < pid) ++g;  // partitions outside the window
      const std::size_t g_begin = g;
      while (g < group_count && ix.group_pid[g] == pid) ++g;
      const std::size_t g_end = g;
      partition_info info{pid, partition_bounds(sf, pf, pid), {}};
      for (std::size_t h = g_begin; h < g_end; ++h) {
        if (ix.group_data[h].empty()) continue;
        info.data.include(ix.group_data[h].first);
        info.data.include(ix.group_data[h].last);
      }
      auto add_segment = [&](std::uint32_t key, std::size_t group) {
        const slot_range key_data = group == no_index ? slot_range{} : ix.group_data[group];
        const slot_range span = gf.span(info, key_data);
        if (span.empty()) return;
        segment s{pid, key, offset, 0, span.first};
        if (plan.dense) {
          s.size = static_cast<std::size_t>(span.last - span.first) + 1;
        } else if (group != no_index) {
          const auto b = obs_ords.begin() + static_cast<std::ptrdiff_t>(obs_begin[group]);
          const auto e = obs_ords.begin() + static_cast<std::ptrdiff_t>(obs_begin[group + 1]);
          const auto lo = std::lower_bound(b, e, span.first);
          const auto hi = std::upper_bound(lo, e, span.last);
          s.size = static_cast<std::size_t>(hi - lo);
          if (s.size == 0) return;
          s.first_slot = *lo;
          if (!counting) plan.cell_ordinals.insert(plan.cell_ordinals.end(), lo, hi);
        } else {
          return;  // nothing observed, nothing to show
        }
        if (counting) {
          if (s.size > max_cells || offset + s.size > max_cells)
            throw invalid_argument(
                "the grid would have more than max_cells = " + std::to_string(max_cells) +
                " cells; check the slot width and the timestamps (a stray timestamp far from the "
                "rest widens a data-driven grid)");
          offset += s.size;
          ++segment_count;
          if ((segment_count & 0xFFF) == 0 || s.size > 4096)
            if (const double need = over_budget(offset, segment_count); need > 0)
              throw_over_budget(offset, need, options.max_bytes);
          return;
        }
        if (group != no_index)
          plan.group_segment[group] = static_cast<std::uint32_t>(plan.segments.size());
        plan.segments.push_back(s);
        offset += s.size;
      };
      if (gf.keys() == key_scope::partition) {
        for (std::size_t h = g_begin; h < g_end; ++h)
          if (!ix.group_data[h].empty()) add_segment(ix.group_key[h], h);
      } else {
        std::size_t h = g_begin;
        for (std::uint32_t k = 0; k < key_count; ++k) {
          while (h < g_end && ix.group_key[h] < k) ++h;
          const bool present = h < g_end && ix.group_key[h] == k && !ix.group_data[h].empty();
          add_segment(k, present ? h : no_index);
        }
      }
    }
  };
  lay_out();  // counting
  if (const double need = over_budget(offset, segment_count); need > 0)
    throw_over_budget(offset, need, options.max_bytes);
  counting = false;
  offset = 0;
  plan.segments.reserve(segment_count);
  lay_out();
  plan.cells = offset;
  fill_slot_times(plan, sf, options.threads);
  return plan;
}

}  // namespace detail
TSFILL_END_NAMESPACE
