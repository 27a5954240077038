// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stages 2-4 of a run: dedup the rows of each cell and gather the values onto the grid,
// fill each value column segment by segment, and assemble the result (slot times, validity
// bitmaps, statistics). Stage 1 is grid_plan.hpp.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <tsfill/batches.hpp>
#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/detail/grid_plan.hpp>
#include <tsfill/detail/parallel.hpp>
#include <tsfill/error.hpp>
#include <tsfill/policies/dedup.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
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
  switch (in) {
    case value_type::float64:
      return value_type_of<output_type_t<D, double>>();
    case value_type::float32:
      return value_type_of<output_type_t<D, float>>();
    case value_type::int64:
      return value_type_of<output_type_t<D, std::int64_t>>();
  }
  return in;
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

// Value columns moved into the order of reordered rows (row_index::dest): owning storage,
// and value_column views of it for the stages that follow.
struct reordered_values {
  std::vector<std::variant<buffer<double>, buffer<float>, buffer<std::int64_t>>> data;
  std::vector<buffer<std::uint8_t>> bits;  // per column; empty when it has no validity
  std::vector<value_column> columns;
};

// One task per column (the moves are memory-bound: two threads move two columns at once).
inline reordered_values reorder_values(const std::vector<value_column>& cols,
                                       const buffer<std::uint32_t>& dest, unsigned threads) {
  reordered_values out;
  const std::size_t n = dest.size();
  out.data.resize(cols.size());
  out.bits.resize(cols.size());
  parallel_for(cols.size(), threads, [&](std::size_t c) {
    const value_column& col = cols[c];
    if (col.has_validity()) {
      buffer<std::uint8_t> b((n + 7) / 8);
      std::fill(b.begin(), b.end(), std::uint8_t{0});
      const std::uint8_t* in = col.validity().data();
      const std::size_t bit0 = col.validity_offset();
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t k = dest[i];
        b[k >> 3] =
            static_cast<std::uint8_t>(b[k >> 3] | (bit_is_set(in, bit0 + i) ? 1U << (k & 7U) : 0U));
      }
      out.bits[c] = std::move(b);
    }
    std::visit([&](auto s) { out.data[c] = reorder(s.data(), dest); }, col.data());
  });
  out.columns.reserve(cols.size());
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const std::span<const std::uint8_t> validity =
        cols[c].has_validity() ? std::span<const std::uint8_t>(out.bits[c].span())
                               : std::span<const std::uint8_t>();
    std::visit(
        [&](const auto& v) {
          using T = std::remove_cvref_t<decltype(v[0])>;
          out.columns.emplace_back(cols[c].name(), std::span<const T>(v.data(), n), validity);
        },
        out.data[c]);
  }
  return out;
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
  for (std::size_t i = 0; i < n; ++i) {
    // Runs of rows of one partition.
    const std::int64_t pid = plan.rows.group_pid[plan.rows.group[i]];
    if (s.partition_rows.empty() || s.partition_rows.back().pid != pid) {
      if (!s.partition_rows.empty()) {
        s.partition_sorted = s.partition_sorted && pid > s.partition_rows.back().pid;
        s.partition_rows.back().end = i;
      }
      s.partition_rows.push_back({pid, i, i});
    }
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

// Original values and status of cells [c_begin, c_end) of one column, by walking the rows
// [r_begin, r_end) that fall there, in input order: sequential reads, and writes into a
// window of cells small enough to stay in cache (the gather below reads rows at random).
// With `last_wins` (dedup::last on time-sorted rows) every row overwrites its cell, so the
// final write is the winner's; otherwise only the winning row writes.
template <class T, bool LastWins>
void scatter_values(const value_column& col, bool nan_is_null,
                    const std::uint32_t* TSFILL_RESTRICT winner,
                    const std::uint32_t* TSFILL_RESTRICT cell_of_row, std::size_t c_begin,
                    std::size_t c_end, std::size_t r_begin, std::size_t r_end,
                    T* TSFILL_RESTRICT out, cell_status* TSFILL_RESTRICT status) {
  for (std::size_t c = c_begin; c < c_end; ++c) {
    out[c] = null_placeholder<T>();
    status[c] = cell_status::missing;
  }
  const T* TSFILL_RESTRICT v = col.values<T>().data();
  const std::uint8_t* bits = col.has_validity() ? col.validity().data() : nullptr;
  const std::size_t bit0 = col.validity_offset();
  for (std::size_t i = r_begin; i < r_end; ++i) {
    const std::uint32_t c = cell_of_row[i];
    if (c == no_cell) continue;
    if constexpr (!LastWins) {
      if (winner[c] != i) continue;
    }
    const T x = v[i];
    bool ok = bits ? bit_is_set(bits, bit0 + i) : true;
    if constexpr (std::is_floating_point_v<T>) ok = ok && !(nan_is_null && x != x);
    out[c] = ok ? x : null_placeholder<T>();
    status[c] = ok ? cell_status::observed : cell_status::missing;
  }
}

// Original values and observed/missing status of cells [begin, end) of one column, from the
// winning rows (row-selecting dedups).
template <class T>
void gather_rows(const value_column& col, bool nan_is_null,
                 const std::uint32_t* TSFILL_RESTRICT winner, std::size_t begin, std::size_t end,
                 T* TSFILL_RESTRICT out, cell_status* TSFILL_RESTRICT status) {
  const T* TSFILL_RESTRICT v = col.values<T>().data();
  const std::uint8_t* bits = col.has_validity() ? col.validity().data() : nullptr;
  const std::size_t bit0 = col.validity_offset();
  for (std::size_t c = begin; c < end; ++c) {
    const std::uint32_t w = winner[c];
    bool ok = w != no_index;
    T x = null_placeholder<T>();
    if (ok) {
      x = v[w];
      if (bits) ok = bit_is_set(bits, bit0 + w);
      if constexpr (std::is_floating_point_v<T>) ok = ok && !(nan_is_null && x != x);
    }
    out[c] = ok ? x : null_placeholder<T>();
    status[c] = ok ? cell_status::observed : cell_status::missing;
  }
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

// Packs "status satisfies pred" into Arrow bitmap bytes [byte_begin, byte_end) and counts
// statuses there. Byte ranges of different calls never share a byte.
inline void pack_and_count(const cell_status* status, std::size_t n, std::size_t byte_begin,
                           std::size_t byte_end, std::uint8_t* original_bits,
                           std::uint8_t* filled_bits, column_stats& stats) {
  std::size_t counts[cell_status_count] = {};
  for (std::size_t b = byte_begin; b < byte_end; ++b) {
    std::uint8_t obs = 0, filled = 0;
    const std::size_t base = b * 8;
    const std::size_t m = n - base < 8 ? n - base : 8;
    for (std::size_t k = 0; k < m; ++k) {
      const auto s = static_cast<std::size_t>(status[base + k]);
      ++counts[s];
      obs = static_cast<std::uint8_t>(obs | (s == 1 ? 1U << k : 0U));
      filled = static_cast<std::uint8_t>(filled | (s != 0 ? 1U << k : 0U));
    }
    original_bits[b] = obs;
    filled_bits[b] = filled;
  }
  for (int k = 0; k < cell_status_count; ++k) stats.cells[static_cast<std::size_t>(k)] += counts[k];
}

class stage_clock {
 public:
  explicit stage_clock(run_stats& stats) : stats_(stats), t0_(std::chrono::steady_clock::now()) {}
  void lap(const char* stage) {
    const auto t = std::chrono::steady_clock::now();
    stats_.stage_seconds.emplace_back(stage, std::chrono::duration<double>(t - t0_).count());
    t0_ = t;
  }

 private:
  run_stats& stats_;
  std::chrono::steady_clock::time_point t0_;
};

// The unit of parallel work: whole segments (a fill never spans two chunks) of about
// `target` cells, and, when rows come grouped by partition, whole partitions with the range
// of their rows.
struct work_chunk {
  std::size_t seg_first, seg_last;
  std::size_t row_begin = 0, row_end = 0;
};

inline std::vector<work_chunk> make_chunks(std::span<const segment> segments,
                                           const scatter_result& scattered, bool by_partition,
                                           std::size_t target) {
  std::vector<work_chunk> chunks;
  std::size_t first = 0, cells = 0;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    cells += segments[s].size;
    const bool partition_ends =
        s + 1 == segments.size() || segments[s + 1].partition != segments[s].partition;
    if (cells >= target && (!by_partition || partition_ends)) {
      chunks.push_back({first, s + 1});
      first = s + 1;
      cells = 0;
    }
  }
  if (first < segments.size()) chunks.push_back({first, segments.size()});
  if (by_partition) {
    // Rows of the chunk's partitions; partitions without rows (explicit ranges) have none.
    const auto& rows = scattered.partition_rows;
    std::size_t p = 0;
    for (work_chunk& ch : chunks) {
      while (p < rows.size() && rows[p].pid < segments[ch.seg_first].partition) ++p;
      ch.row_begin = ch.row_end = p < rows.size() ? rows[p].begin : 0;
      while (p < rows.size() && rows[p].pid <= segments[ch.seg_last - 1].partition)
        ch.row_end = rows[p++].end;
    }
  }
  return chunks;
}

// The seed entry of each key of a run (carry_seed::npos where it has none), after checking
// that the seed fits the run.
inline std::vector<std::size_t> seed_entries(const carry_seed& seed, const encoded_keys& keys,
                                             tick_period ticks) {
  std::vector<std::size_t> entry(keys.count, carry_seed::npos);
  if (seed.empty()) return entry;
  if (seed.ticks != ticks)
    throw invalid_argument(
        "run_options::carry_in: the seed was made from input of another tick "
        "period");
  if (seed.keys.size() != keys.values.size())
    throw invalid_argument("run_options::carry_in: the seed has " +
                           std::to_string(seed.keys.size()) + " key columns, the input " +
                           std::to_string(keys.values.size()));
  std::vector<std::int64_t> key(keys.values.size());
  for (std::size_t k = 0; k < keys.count; ++k) {
    for (std::size_t j = 0; j < key.size(); ++j) key[j] = keys.values[j][k];
    entry[k] = seed.find(key);
  }
  return entry;
}

// Per segment of one column: the last observation of the segment's key in earlier
// segments (earlier partitions), or else in the seed, for fills that carry values in.
struct carry_table {
  std::vector<carried_value<double>> f64;
  std::vector<carried_value<float>> f32;
  std::vector<carried_value<std::int64_t>> i64;
  std::vector<bool> has;

  template <class T>
  std::vector<carried_value<T>>& of() {
    if constexpr (std::is_same_v<T, double>) return f64;
    if constexpr (std::is_same_v<T, float>) return f32;
    if constexpr (std::is_same_v<T, std::int64_t>) return i64;
  }

  template <class T>
  void compute(std::span<const segment> segments, const T* original, const cell_status* status,
               const std::int64_t* slot_time, const std::int64_t* cell_ordinals, std::size_t keys,
               const carry_seed::column* seed, std::span<const std::size_t> seed_entry) {
    std::vector<carried_value<T>>& out = of<T>();
    out.assign(segments.size(), carried_value<T>{});
    has.assign(segments.size(), false);
    std::vector<carried_value<T>> latest(keys);
    std::vector<bool> seen(keys, false);
    if (seed != nullptr) {
      const auto& seeded = std::get<std::vector<carried_value<T>>>(seed->values);
      for (std::size_t k = 0; k < keys; ++k) {
        const std::size_t e = seed_entry[k];
        if (e == carry_seed::npos || !seed->has[e]) continue;
        latest[k] = seeded[e];
        seen[k] = true;
      }
    }
    for (std::size_t s = 0; s < segments.size(); ++s) {  // in output order: partition by partition
      const segment& seg = segments[s];
      if (seen[seg.key]) {
        out[s] = latest[seg.key];
        has[s] = true;
      }
      for (std::size_t i = seg.offset + seg.size; i-- > seg.offset;) {
        if (status[i] != cell_status::observed) continue;
        const std::int64_t ord = cell_ordinals
                                     ? cell_ordinals[i]
                                     : seg.first_slot + static_cast<std::int64_t>(i - seg.offset);
        latest[seg.key] = {original[i], slot_time[i], ord};
        seen[seg.key] = true;
        break;
      }
    }
  }
};

struct result_builder {
  template <SlotFunction SF, DedupPolicy D, FillFunction FF>
  static result build(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                      const std::vector<value_column>& value_cols, tick_period ticks,
                      grid_plan&& plan, const SF& sf, const D& dedup, std::span<const FF> fills,
                      const run_options& options, stage_clock& clock, run_stats&& stats) {
    result r;
    r.ticks_ = ticks;
    const std::size_t cells = plan.cells;
    const std::size_t ncol = value_cols.size();
    const unsigned threads = options.threads == 0 ? 1U : options.threads;
    r.distinct_keys_ = plan.rows.keys.count;
    for (const key_column& k : key_cols) r.key_names_.push_back(k.name());

    scatter_result scattered = scatter_rows(dedup, plan, time, key_cols, threads);
    stats.duplicate_rows = scattered.duplicates;
    stats.rows_outside_grid = scattered.outside;
    clock.lap("dedup");

    // One block per output type and role, columns in input order.
    std::size_t per_type[3] = {0, 0, 0};
    std::vector<value_type> out_types(ncol);
    for (std::size_t c = 0; c < ncol; ++c) {
      out_types[c] = output_value_type<D>(value_cols[c].type());
      ++per_type[static_cast<int>(out_types[c])];
    }
    r.f64_original_ = buffer<double>(per_type[0] * cells);
    r.f64_filled_ = buffer<double>(per_type[0] * cells);
    r.f32_original_ = buffer<float>(per_type[1] * cells);
    r.f32_filled_ = buffer<float>(per_type[1] * cells);
    r.i64_original_ = buffer<std::int64_t>(per_type[2] * cells);
    r.i64_filled_ = buffer<std::int64_t>(per_type[2] * cells);
    r.status_ = buffer<cell_status>(ncol * cells);
    if (options.source_offsets) r.source_offsets_ = buffer<std::int32_t>(ncol * cells);
    const std::size_t bitmap_bytes = (cells + 7) / 8;
    r.validity_ = buffer<std::uint8_t>(2 * ncol * bitmap_bytes);
    r.slot_time_ = buffer<std::int64_t>(cells);
    std::size_t next_of_type[3] = {0, 0, 0};
    r.columns_.resize(ncol);
    for (std::size_t c = 0; c < ncol; ++c) {
      result_column& rc = r.columns_[c];
      rc.name_ = value_cols[c].name();
      rc.type_ = out_types[c];
      rc.rows_ = cells;
      const std::size_t at = next_of_type[static_cast<int>(rc.type_)]++ * cells;
      switch (rc.type_) {
        case value_type::float64:
          rc.original_ = r.f64_original_.data() + at;
          rc.filled_ = r.f64_filled_.data() + at;
          break;
        case value_type::float32:
          rc.original_ = r.f32_original_.data() + at;
          rc.filled_ = r.f32_filled_.data() + at;
          break;
        case value_type::int64:
          rc.original_ = r.i64_original_.data() + at;
          rc.filled_ = r.i64_filled_.data() + at;
          break;
      }
      rc.status_ = r.status_.data() + c * cells;
      if (options.source_offsets) rc.source_offsets_ = r.source_offsets_.data() + c * cells;
      rc.original_validity_ = r.validity_.data() + 2 * c * bitmap_bytes;
      rc.filled_validity_ = r.validity_.data() + (2 * c + 1) * bitmap_bytes;
    }
    // Dedups that look at every row of a cell gather column by column (in parallel).
    if constexpr (!RowSelectionDedup<D>) {
      parallel_for(ncol, threads, [&](std::size_t c) {
        std::visit(
            [&](auto s) {
              using T = typename decltype(s)::value_type;
              using R = output_type_t<D, T>;
              gather_values<D, T>(dedup, plan, time, value_cols[c], options.nan_is_null,
                                  scattered.winner.span(), static_cast<R*>(r.columns_[c].original_),
                                  r.columns_[c].status_);
            },
            value_cols[c].data());
      });
      clock.lap("gather");
    }
    plan.rows.ord.reset();  // every row is placed: free what placing needed
    plan.rows.group.reset();
    r.segments_ = std::move(plan.segments);
    const std::span<const segment> segments = r.segments_;

    // Per chunk, in parallel: original values (row selection), slot times, fill. Rows grouped
    // by partition are walked in order (scatter_values); otherwise cells read their rows.
    const bool by_rows = RowSelectionDedup<D> && scattered.partition_sorted;
    const bool last_wins = std::is_same_v<D, tsfill::dedup::last> && plan.rows.time_sorted;
    const auto chunks = make_chunks(segments, scattered, by_rows, 1U << 15);
    auto place = [&](std::size_t k) {
      const std::size_t s_first = chunks[k].seg_first, s_last = chunks[k].seg_last;
      const std::size_t c_begin = segments[s_first].offset;
      const std::size_t c_end = segments[s_last - 1].offset + segments[s_last - 1].size;
      for (std::size_t s = s_first; s < s_last; ++s) {
        std::int64_t* out = r.slot_time_.data() + segments[s].offset;
        if (plan.dense) {
          for (std::size_t i = 0; i < segments[s].size; ++i)
            out[i] = sf.start(segments[s].first_slot + static_cast<std::int64_t>(i));
        } else {
          const std::int64_t* o = plan.cell_ordinals.data() + segments[s].offset;
          for (std::size_t i = 0; i < segments[s].size; ++i) out[i] = sf.start(o[i]);
        }
      }
      if constexpr (RowSelectionDedup<D>) {
        for (std::size_t c = 0; c < ncol; ++c) {
          result_column& rc = r.columns_[c];
          tsfill::visit(rc.type_, [&](auto* tag) {
            using R = std::remove_pointer_t<decltype(tag)>;
            R* orig = static_cast<R*>(rc.original_);
            const std::uint32_t* winner = scattered.winner.data();
            const std::uint32_t* cells_of = scattered.cell_of_row.data();
            const bool nan_null = options.nan_is_null;
            if (by_rows && last_wins)
              scatter_values<R, true>(value_cols[c], nan_null, winner, cells_of, c_begin, c_end,
                                      chunks[k].row_begin, chunks[k].row_end, orig, rc.status_);
            else if (by_rows)
              scatter_values<R, false>(value_cols[c], nan_null, winner, cells_of, c_begin, c_end,
                                       chunks[k].row_begin, chunks[k].row_end, orig, rc.status_);
            else
              gather_rows<R>(value_cols[c], nan_null, winner, c_begin, c_end, orig, rc.status_);
          });
        }
      }
    };

    // Fills that carry values in from earlier partitions get, per segment, the key's last
    // observation before it; that needs every chunk placed first.
    std::vector<bool> carries(ncol, false);
    bool any_carry = false;
    if constexpr (requires(const FF& f) {
                    { f.carries_in() } -> std::convertible_to<bool>;
                  }) {
      for (std::size_t c = 0; c < ncol; ++c) {
        carries[c] = fills[c].carries_in();
        any_carry = any_carry || carries[c];
      }
    }
    std::vector<carry_table> carry(ncol);
    // The seed's column for each carrying column (by name, of the column's output type).
    std::vector<const carry_seed::column*> seed_col(ncol, nullptr);
    std::vector<std::size_t> seed_entry;
    if (any_carry && options.carry_in != nullptr && !options.carry_in->empty()) {
      seed_entry = seed_entries(*options.carry_in, plan.rows.keys, ticks);
      for (std::size_t c = 0; c < ncol; ++c) {
        if (!carries[c]) continue;
        seed_col[c] = options.carry_in->find_column(r.columns_[c].name_);
        if (seed_col[c] != nullptr && seed_col[c]->type() != r.columns_[c].type_)
          throw invalid_argument("run_options::carry_in: the seed's column '" +
                                 r.columns_[c].name_ + "' holds " + to_string(seed_col[c]->type()) +
                                 " values, the run's " + to_string(r.columns_[c].type_));
      }
    }

    auto fill_chunk = [&](std::size_t k) {
      for (std::size_t c = 0; c < ncol; ++c) {
        result_column& rc = r.columns_[c];
        tsfill::visit(rc.type_, [&](auto* tag) {
          using R = std::remove_pointer_t<decltype(tag)>;
          const R* original = static_cast<const R*>(rc.original_);
          R* filled = static_cast<R*>(rc.filled_);
          const auto& carried = carry[c].of<R>();
          for (std::size_t s = chunks[k].seg_first; s < chunks[k].seg_last; ++s) {
            const segment& seg = segments[s];
            fill_segment<R> fs{original + seg.offset,
                               filled + seg.offset,
                               rc.status_ + seg.offset,
                               rc.source_offsets_ ? rc.source_offsets_ + seg.offset : nullptr,
                               r.slot_time_.data() + seg.offset,
                               plan.dense ? nullptr : plan.cell_ordinals.data() + seg.offset,
                               seg.first_slot,
                               seg.size};
            if (carries[c] && carry[c].has[s]) fs.carry_in = &carried[s];
            fills[c].fill(fs);
          }
        });
      }
    };
    if (!any_carry) {
      parallel_for(chunks.size(), threads, [&](std::size_t k) {
        place(k);
        fill_chunk(k);
      });
    } else {
      parallel_for(chunks.size(), threads, place);
      for (std::size_t c = 0; c < ncol; ++c) {
        if (!carries[c]) continue;
        tsfill::visit(r.columns_[c].type_, [&](auto* tag) {
          using R = std::remove_pointer_t<decltype(tag)>;
          carry[c].compute<R>(segments, static_cast<const R*>(r.columns_[c].original_),
                              r.columns_[c].status_, r.slot_time_.data(),
                              plan.dense ? nullptr : plan.cell_ordinals.data(),
                              plan.rows.keys.count, seed_col[c], seed_entry);
        });
      }
      parallel_for(chunks.size(), threads, fill_chunk);
    }
    clock.lap("fill");

    // Validity bitmaps and statistics, in parallel over byte-aligned ranges.
    const std::size_t bytes_per_task = 1U << 13;
    const std::size_t byte_tasks = (bitmap_bytes + bytes_per_task - 1) / bytes_per_task;
    std::vector<column_stats> partial(byte_tasks * ncol);
    parallel_for(byte_tasks * ncol, threads, [&](std::size_t task) {
      const std::size_t c = task % ncol, k = task / ncol;
      result_column& rc = r.columns_[c];
      pack_and_count(rc.status_, cells, k * bytes_per_task,
                     std::min(bitmap_bytes, (k + 1) * bytes_per_task), rc.original_validity_,
                     rc.filled_validity_, partial[task]);
    });
    for (std::size_t task = 0; task < partial.size(); ++task)
      for (int s = 0; s < cell_status_count; ++s)
        r.columns_[task % ncol].stats_.cells[static_cast<std::size_t>(s)] +=
            partial[task].cells[static_cast<std::size_t>(s)];

    r.key_values_ = std::move(plan.rows.keys.values);
    if (!plan.dense) r.cell_ordinals_ = std::move(plan.cell_ordinals);
    stats.cells = cells;
    stats.keys = plan.rows.keys.count;
    {
      std::int64_t last = 0;
      bool any = false;
      for (const segment& s : r.segments_) {
        stats.partitions += !any || s.partition != last;
        last = s.partition;
        any = true;
      }
    }
    clock.lap("assemble");
    r.stats_ = std::move(stats);
    return r;
  }
};

}  // namespace detail
TSFILL_END_NAMESPACE
