// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 3 of a run, dedup: every row goes to its cell (or outside the grid), and the
// dedup policy decides each occupied cell: the winning row for row-selecting dedups
// (scatter_rows), per column the chosen or folded value for the others (gather_values).
// Instantiated on the dedup policy (and value type) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/parallel.hpp>
#include <tsfill/detail/stages/plan.hpp>
#include <tsfill/error.hpp>
#include <tsfill/policies/dedup.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Is row i of a column a usable (non-null) value?
template <class T>
TSFILL_ALWAYS_INLINE bool value_is_valid(const value_column& col, std::span<const T> v,
                                         std::size_t i, bool nan_is_null) noexcept {
  if (!col.is_valid(i)) return false;
  if constexpr (std::is_floating_point_v<T>) {
    if (nan_is_null && std::isnan(v[i])) return false;
  }
  return true;
}

// The output type of a column of T under dedup policy D.
template <class D, class T>
struct output_type {
  using type = T;
};
template <class D, class T>
requires AggregationDedup<D>
struct output_type<D, T> {
  using type = typename D::template accumulator<T>::result_type;
  static_assert(is_value_type_v<type>,
                "an aggregation's result_type must be double, float or std::int64_t");
};
template <class D, class T>
using output_type_t = typename output_type<D, T>::type;

template <class D>
value_type output_value_type(value_type in) {
  return tsfill::visit(in, [](auto* tag) {
    return value_type_of<output_type_t<D, std::remove_pointer_t<decltype(tag)>>>();
  });
}

// `first` and `second` are rows as the stages see them (reordered, if the input was); the
// error names input rows.
[[noreturn]] inline void throw_duplicate(const grid_plan& plan,
                                         const std::vector<key_column>& key_cols,
                                         std::span<const std::int64_t> time, std::size_t first,
                                         std::size_t second) {
  std::string key;
  for (std::size_t j = 0; j < key_cols.size(); ++j) {
    key += (j ? ", " : "") + key_cols[j].name() + "=" +
           std::to_string(plan.rows.keys.values[j][plan.rows.group_key[plan.rows.group[second]]]);
  }
  const std::int64_t t1 = time[first], t2 = time[second];
  first = plan.rows.input_row(first);
  second = plan.rows.input_row(second);
  throw duplicate_error("dedup::reject: rows " + std::to_string(first) + " and " +
                            std::to_string(second) + " (0-based) fall into the same slot" +
                            (key.empty() ? "" : " for key " + key) + " (times " +
                            std::to_string(t1) + " and " + std::to_string(t2) + " ticks)",
                        first, second);
}

// One pass over the rows: the cell of each row, rows outside the grid, duplicates, and for
// row-selecting dedups the winning row of every cell (for the others, any row: `winner`
// then only says which cells hold rows).
struct scatter_result {
  buffer<std::uint32_t> winner;       // per cell, no_index when empty
  buffer<std::uint32_t> cell_of_row;  // per row, no_cell outside the grid
  std::size_t outside = 0;
  std::size_t duplicates = 0;
  // Rows come grouped by partition (true for time-ordered input); then partition_rows
  // holds each such partition's id and row range, in row order.
  bool partition_sorted = true;
  struct rows_of_partition {
    std::int64_t pid;
    std::size_t begin, end;
  };
  std::vector<rows_of_partition> partition_rows;
};

// The rows [begin, end) of scatter_rows; stops at the first duplicate a dedup rejects.
struct scatter_counts {
  std::size_t outside = 0;
  std::size_t duplicates = 0;
  std::size_t rejected_winner = no_index, rejected_row = no_index;
};

template <DedupPolicy D>
scatter_counts scatter_range(const D& dedup, const grid_plan& plan,
                             std::span<const std::int64_t> time, bool sorted, std::size_t begin,
                             std::size_t end, std::uint32_t* TSFILL_RESTRICT winner,
                             std::uint32_t* TSFILL_RESTRICT cell_of_row) {
  scatter_counts k;
  for (std::size_t i = begin; i < end; ++i) {
    const std::uint32_t c = plan.cell_of(i);
    cell_of_row[i] = c;
    if (c == no_cell) {
      ++k.outside;
      continue;
    }
    const std::uint32_t w = winner[c];
    if (w == no_index) {
      winner[c] = static_cast<std::uint32_t>(i);
      continue;
    }
    ++k.duplicates;
    if constexpr (RowSelectionDedup<D>) {
      // On time-sorted input every later row is at least as late: "last" always replaces
      // and "first" always keeps, with no look at the incumbent's time.
      if constexpr (std::is_same_v<D, tsfill::dedup::last>) {
        if (sorted) {
          winner[c] = static_cast<std::uint32_t>(i);
          continue;
        }
      } else if constexpr (std::is_same_v<D, tsfill::dedup::first>) {
        if (sorted) continue;
      }
      switch (dedup.choose({time[w], w}, {time[i], i})) {
        case dedup_choice::keep:
          break;
        case dedup_choice::replace:
          winner[c] = static_cast<std::uint32_t>(i);
          break;
        case dedup_choice::reject:
          k.rejected_winner = w;
          k.rejected_row = i;
          return k;
      }
    }
  }
  return k;
}

// Partitions own disjoint cells, so with rows grouped by partition each partition's rows
// are scattered as one task; the first rejected duplicate in row order is reported, as on
// one thread.
template <DedupPolicy D>
scatter_result scatter_rows(const D& dedup, const grid_plan& plan,
                            std::span<const std::int64_t> time,
                            const std::vector<key_column>& key_cols, unsigned threads = 1) {
  scatter_result s;
  const std::size_t n = time.size();
  s.winner = buffer<std::uint32_t>(plan.cells);
  std::fill(s.winner.begin(), s.winner.end(), no_index);
  s.cell_of_row = buffer<std::uint32_t>(n);
  // Runs of rows of one partition: where they start, found in blocks on every thread.
  constexpr std::size_t block = std::size_t{1} << 18;
  std::vector<std::vector<std::size_t>> run_starts((n + block - 1) / block);
  parallel_blocks(
      n, threads,
      [&](std::size_t begin, std::size_t end) {
        const std::uint32_t* TSFILL_RESTRICT group = plan.rows.group.data();
        const std::int64_t* TSFILL_RESTRICT group_pid = plan.rows.group_pid.data();
        std::vector<std::size_t>& starts = run_starts[begin / block];
        std::int64_t before = begin > 0 ? group_pid[group[begin - 1]] : 0;
        for (std::size_t i = begin; i < end; ++i) {
          const std::int64_t pid = group_pid[group[i]];
          if (i == 0 || pid != before) starts.push_back(i);
          before = pid;
        }
      },
      block);
  for (const std::vector<std::size_t>& starts : run_starts)
    for (const std::size_t i : starts) {
      const std::int64_t pid = plan.rows.group_pid[plan.rows.group[i]];
      if (!s.partition_rows.empty()) {
        s.partition_sorted = s.partition_sorted && pid > s.partition_rows.back().pid;
        s.partition_rows.back().end = i;
      }
      s.partition_rows.push_back({pid, i, i});
    }
  if (!s.partition_rows.empty()) s.partition_rows.back().end = n;

  const bool sorted = plan.rows.time_sorted;
  std::vector<scatter_counts> counts;
  if (s.partition_sorted && threads > 1 && s.partition_rows.size() > 1) {
    counts.resize(s.partition_rows.size());
    parallel_for(counts.size(), threads, [&](std::size_t r) {
      counts[r] = scatter_range(dedup, plan, time, sorted, s.partition_rows[r].begin,
                                s.partition_rows[r].end, s.winner.data(), s.cell_of_row.data());
    });
  } else {
    counts.push_back(
        scatter_range(dedup, plan, time, sorted, 0, n, s.winner.data(), s.cell_of_row.data()));
  }
  for (const scatter_counts& k : counts) {
    if (k.rejected_row != no_index)
      throw_duplicate(plan, key_cols, time, k.rejected_winner, k.rejected_row);
    s.outside += k.outside;
    s.duplicates += k.duplicates;
  }
  if (!s.partition_sorted) s.partition_rows.clear();
  return s;
}

// Original values and status of one column for value-selecting and aggregating dedups,
// which look at every row of a cell.
template <class D, class T>
void gather_values(const D& dedup, const grid_plan& plan, std::span<const std::int64_t> time,
                   const value_column& col, bool nan_is_null,
                   std::span<const std::uint32_t> occupied, output_type_t<D, T>* out,
                   cell_status* status) {
  const std::span<const T> v = col.values<T>();
  const std::size_t cells = plan.cells;
  if constexpr (ValueSelectionDedup<D>) {
    std::vector<std::uint32_t> winner(cells, no_index);
    for (std::size_t i = 0; i < time.size(); ++i) {
      const std::uint32_t c = plan.cell_of(i);
      if (c == no_cell || !value_is_valid(col, v, i, nan_is_null)) continue;
      std::uint32_t& w = winner[c];
      if (w == no_index || dedup.choose({time[w], w}, {time[i], i}) == dedup_choice::replace)
        w = static_cast<std::uint32_t>(i);
    }
    for (std::size_t c = 0; c < cells; ++c) {
      const std::uint32_t w = winner[c];
      out[c] = w != no_index ? v[w] : null_placeholder<T>();
      status[c] = w != no_index ? cell_status::observed : cell_status::missing;
    }
  } else {
    using acc_t = typename D::template accumulator<T>;
    std::vector<acc_t> acc(cells);
    for (std::size_t i = 0; i < time.size(); ++i) {
      const std::uint32_t c = plan.cell_of(i);
      if (c != no_cell && value_is_valid(col, v, i, nan_is_null)) acc[c].add(v[i]);
    }
    using R = output_type_t<D, T>;
    for (std::size_t c = 0; c < cells; ++c) {
      const bool ok = occupied[c] != no_index && acc[c].has_value();
      out[c] = ok ? static_cast<R>(acc[c].value()) : null_placeholder<R>();
      status[c] = ok ? cell_status::observed : cell_status::missing;
    }
  }
}

}  // namespace detail
TSFILL_END_NAMESPACE
