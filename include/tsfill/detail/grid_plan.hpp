// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 1 of a run: slot every row, find its partition and key, ask the grid policy which
// slots each (partition, key) gets, lay the cells out as segments in output order, and
// compute each row's cell (or "outside the grid"). Instantiated on the slot, partition and
// grid functions only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
  namespace detail {

  inline constexpr std::uint64_t no_cell = ~std::uint64_t{0};

  struct grid_plan {
    encoded_keys keys;
    std::vector<segment> segments;
    std::vector<std::uint64_t> cell_of_row;   // per input row; no_cell when outside the grid
    std::vector<std::int64_t> cell_ordinals;  // per cell, only for non-dense grids
    bool dense = true;
    std::size_t cells = 0;
    std::size_t rows_outside = 0;
  };

  template <SlotFunction SF>
  void check_time_range(const SF& sf, std::span<const std::int64_t> time) {
    if (time.empty()) return;
    const auto [lo, hi] = std::minmax_element(time.begin(), time.end());
    if constexpr (requires { sf.check_range(*lo, *hi); }) sf.check_range(*lo, *hi);
  }

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

  template <SlotFunction SF, PartitionFunction PF, GridFunction GF>
  grid_plan plan_grid(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                      const SF& sf, const PF& pf, const GF& gf, std::size_t max_cells) {
    const std::size_t n = time.size();
    grid_plan plan;
    plan.dense = gf.dense();
    plan.keys = encode_keys(key_cols, n);
    const std::size_t key_count = plan.keys.count;
    check_time_range(sf, time);

    // Slot ordinal and partition id of every row (the partition of its slot's start).
    std::vector<std::int64_t> ord(n);
    std::vector<std::uint64_t> codes(n);
    std::int64_t pid_min = INT64_MAX, pid_max = INT64_MIN;
    {
      std::vector<std::int64_t> pid(n);
      for (std::size_t i = 0; i < n; ++i) {
        ord[i] = sf.ordinal(time[i]);
        pid[i] = pf.id(sf.start(ord[i]));
        pid_min = std::min(pid_min, pid[i]);
        pid_max = std::max(pid_max, pid[i]);
      }
      for (std::size_t i = 0; i < n; ++i)
        codes[i] = static_cast<std::uint64_t>(pid[i]) - static_cast<std::uint64_t>(pid_min);
    }
    // Groups = distinct (partition, key), ranked in output order.
    ranking groups;
    std::vector<std::int64_t> data_pids;  // per partition rank
    {
      const ranking parts = dense_rank(
          codes.data(), n,
          n ? static_cast<std::uint64_t>(pid_max) - static_cast<std::uint64_t>(pid_min) : 0);
      data_pids.resize(parts.count());
      for (std::size_t p = 0; p < parts.count(); ++p)
        data_pids[p] = static_cast<std::int64_t>(codes[parts.representative[p]]) + pid_min;
      for (std::size_t i = 0; i < n; ++i)
        codes[i] = static_cast<std::uint64_t>(parts.rank[i]) * key_count + plan.keys.index[i];
      groups = dense_rank(codes.data(), n, parts.count() ? parts.count() * key_count - 1 : 0);
    }
    const std::size_t group_count = groups.count();
    std::vector<slot_range> group_data(group_count);
    for (std::size_t i = 0; i < n; ++i) group_data[groups.rank[i]].include(ord[i]);
    auto group_pid = [&](std::size_t g) {
      return data_pids[codes[groups.representative[g]] / key_count];
    };
    auto group_key = [&](std::size_t g) {
      return static_cast<std::uint32_t>(codes[groups.representative[g]] % key_count);
    };

    // Non-dense grids: the distinct observed ordinals of each group, sorted.
    std::vector<std::size_t> obs_begin;  // per group, into obs_ords
    std::vector<std::int64_t> obs_ords;
    if (!plan.dense) {
      std::vector<std::pair<std::uint32_t, std::int64_t>> pairs(n);
      for (std::size_t i = 0; i < n; ++i) pairs[i] = {groups.rank[i], ord[i]};
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

    // Partitions in output order: those with rows, plus those the grid asks for.
    std::vector<std::int64_t> pids = data_pids;
    const slot_range extra = gf.partitions();
    if (!extra.empty()) {
      if (static_cast<std::uint64_t>(extra.last - extra.first) > max_cells)
        throw invalid_argument("the grid asks for " + std::to_string(extra.size()) +
                               " partitions, more than max_cells allows");
      for (std::int64_t p = extra.first; p <= extra.last; ++p) pids.push_back(p);
      std::sort(pids.begin(), pids.end());
      pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
    }

    // Lay out segments: partition, then key, then slot.
    std::vector<std::uint32_t> group_segment(group_count, no_index);
    std::size_t offset = 0;
    std::size_t g = 0;  // next group; groups are sorted by (partition, key)
    for (const std::int64_t pid : pids) {
      const std::size_t g_begin = g;
      while (g < group_count && group_pid(g) == pid) ++g;
      const std::size_t g_end = g;
      partition_info info{pid, partition_bounds(sf, pf, pid), {}};
      for (std::size_t h = g_begin; h < g_end; ++h) {
        info.data.include(group_data[h].first);
        info.data.include(group_data[h].last);
      }
      auto add_segment = [&](std::uint32_t key, std::size_t group) {
        const slot_range key_data = group == no_index ? slot_range{} : group_data[group];
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
          plan.cell_ordinals.insert(plan.cell_ordinals.end(), lo, hi);
        } else {
          return;  // nothing observed, nothing to show
        }
        if (s.size > max_cells || offset + s.size > max_cells)
          throw invalid_argument(
              "the grid would have more than max_cells = " + std::to_string(max_cells) +
              " cells; check the slot width and the timestamps (a stray timestamp far from the "
              "rest widens a data-driven grid)");
        if (group != no_index)
          group_segment[group] = static_cast<std::uint32_t>(plan.segments.size());
        plan.segments.push_back(s);
        offset += s.size;
      };
      if (gf.keys() == key_scope::partition) {
        for (std::size_t h = g_begin; h < g_end; ++h) add_segment(group_key(h), h);
      } else {
        std::size_t h = g_begin;
        for (std::uint32_t k = 0; k < key_count; ++k) {
          const bool present = h < g_end && group_key(h) == k;
          add_segment(k, present ? h : no_index);
          if (present) ++h;
        }
      }
    }
    plan.cells = offset;

    // The cell of every row.
    plan.cell_of_row.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t si = group_segment[groups.rank[i]];
      std::uint64_t cell = no_cell;
      if (si != no_index) {
        const segment& s = plan.segments[si];
        if (plan.dense) {
          const std::int64_t rel = ord[i] - s.first_slot;
          if (rel >= 0 && static_cast<std::uint64_t>(rel) < s.size)
            cell = s.offset + static_cast<std::uint64_t>(rel);
        } else {
          const auto b = plan.cell_ordinals.begin() + static_cast<std::ptrdiff_t>(s.offset);
          const auto e = b + static_cast<std::ptrdiff_t>(s.size);
          const auto it = std::lower_bound(b, e, ord[i]);
          if (it != e && *it == ord[i])
            cell = static_cast<std::uint64_t>(it - plan.cell_ordinals.begin());
        }
      }
      plan.rows_outside += cell == no_cell;
      plan.cell_of_row[i] = cell;
    }
    return plan;
  }

  }  // namespace detail
TSFILL_END_NAMESPACE
