// IWYU pragma: private, include <tsfill/pipeline.hpp>
// The run's orchestrator: the stages in the order they run, each in its own header.
//   1 index     stages/index.hpp     slot ordinal, partition and key of every row
//   2 plan      stages/plan.hpp      the grid: segments (partition, key, slots), row -> cell
//   3 dedup     stages/dedup.hpp     the winning row (or folded values) of every cell
//   4 place     stages/place.hpp     original values and status of every cell
//   5 fill      stages/fill.hpp      each column filled segment by segment
//   6 assemble  stages/assemble.hpp  validity bitmaps and statistics
// pipeline.hpp runs stages 1-2 (they need the slot, partition and grid policies);
// result_builder runs 3-6 on the dedup policy and the bound fills only.
#pragma once

#include <algorithm>
#include <chrono>
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
#include <tsfill/detail/parallel.hpp>
#include <tsfill/detail/stages/assemble.hpp>
#include <tsfill/detail/stages/dedup.hpp>
#include <tsfill/detail/stages/fill.hpp>
#include <tsfill/detail/stages/place.hpp>
#include <tsfill/detail/stages/plan.hpp>
#include <tsfill/error.hpp>
#include <tsfill/policies/dedup.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

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

// Runs stages 3-6 on a planned grid and builds the result. Instantiated on the dedup policy
// and the bound fill type only.
struct result_builder {
  template <DedupPolicy D, FillFunction FF>
  static result build(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                      const std::vector<value_column>& value_cols, tick_period ticks,
                      grid_plan&& plan, const D& dedup, std::span<const FF> fills,
                      const run_options& options, stage_clock& clock, run_stats&& stats) {
    const unsigned threads = options.threads == 0 ? 1U : options.threads;
    result r;
    r.ticks_ = ticks;
    r.distinct_keys_ = plan.rows.keys.count;
    for (const key_column& k : key_cols) r.key_names_.push_back(k.name());

    // Stage 3, dedup.
    const scatter_result scattered = scatter_rows(dedup, plan, time, key_cols, threads);
    stats.duplicate_rows = scattered.duplicates;
    stats.rows_outside_grid = scattered.outside;
    clock.lap("dedup");
    std::vector<value_type> out_types;
    for (const value_column& v : value_cols) out_types.push_back(output_value_type<D>(v.type()));
    lay_out_columns(r, value_cols, out_types, plan.cells, options);
    if constexpr (!RowSelectionDedup<D>) {
      // (These dedups write whole columns of original values: a lean run drops them later.)
      if (!options.keep_original) lay_out_originals(r, value_cols.size());
      // Dedups that look at every row of a cell decide column by column (in parallel).
      parallel_for(value_cols.size(), threads, [&](std::size_t c) {
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
    plan.rows.ord.reset();  // every row has its cell: free what finding it needed
    plan.rows.group.reset();
    r.segments_ = std::move(plan.segments);
    r.slot_time_ = std::move(plan.slot_time);

    // Stages 4-5, place and fill.
    place_and_fill<D>(r, plan, scattered, value_cols, fills, options, threads);
    if (!options.keep_original) drop_originals(r);
    clock.lap("fill");

    // Stage 6, assemble.
    pack_all(r, threads);
    r.key_values_ = std::move(plan.rows.keys.values);
    if (!plan.dense) r.cell_ordinals_ = std::move(plan.cell_ordinals);
    stats.cells = plan.cells;
    stats.keys = plan.rows.keys.count;
    stats.partitions = count_partitions(r.segments_);
    clock.lap("assemble");
    r.stats_ = std::move(stats);
    return r;
  }

 private:
  // One block per output type and role, columns in input order; every column's pointers
  // into them.
  static void lay_out_columns(result& r, const std::vector<value_column>& value_cols,
                              const std::vector<value_type>& out_types, std::size_t cells,
                              const run_options& options) {
    const std::size_t ncol = value_cols.size();
    std::size_t per_type[3] = {0, 0, 0};
    for (const value_type t : out_types) ++per_type[static_cast<int>(t)];
    r.f64_filled_ = buffer<double>(per_type[0] * cells);
    r.f32_filled_ = buffer<float>(per_type[1] * cells);
    r.i64_filled_ = buffer<std::int64_t>(per_type[2] * cells);
    r.status_ = buffer<cell_status>(ncol * cells);
    if (options.source_offsets) r.source_offsets_ = buffer<std::int32_t>(ncol * cells);
    // Filled in advance: a fill policy of the user's may not write it.
    if (options.source_times) {
      r.source_times_ = buffer<std::int64_t>(ncol * cells);
      std::fill_n(r.source_times_.data(), ncol * cells, no_source_time);
    }
    const std::size_t bitmap_bytes = (cells + 7) / 8;
    r.validity_ = buffer<std::uint8_t>(2 * ncol * bitmap_bytes);
    std::size_t next_of_type[3] = {0, 0, 0};
    r.columns_.resize(ncol);
    for (std::size_t c = 0; c < ncol; ++c) {
      result_column& rc = r.columns_[c];
      rc.name_ = value_cols[c].name();
      rc.type_ = out_types[c];
      rc.rows_ = cells;
      rc.has_original_ = options.keep_original;
      const std::size_t at = next_of_type[static_cast<int>(rc.type_)]++ * cells;
      tsfill::visit(rc.type_, [&](auto* tag) {
        using R = std::remove_pointer_t<decltype(tag)>;
        rc.filled_ = r.block<R>(true).data() + at;
      });
      rc.status_ = r.status_.data() + c * cells;
      if (options.source_offsets) rc.source_offsets_ = r.source_offsets_.data() + c * cells;
      if (options.source_times) rc.source_times_ = r.source_times_.data() + c * cells;
      rc.original_validity_ = r.validity_.data() + 2 * c * bitmap_bytes;
      rc.filled_validity_ = r.validity_.data() + (2 * c + 1) * bitmap_bytes;
    }
    if (options.keep_original) lay_out_originals(r, ncol);
  }

  // The original values' blocks, laid out like the filled ones.
  static void lay_out_originals(result& r, std::size_t ncol) {
    r.f64_original_ = buffer<double>(r.f64_filled_.size());
    r.f32_original_ = buffer<float>(r.f32_filled_.size());
    r.i64_original_ = buffer<std::int64_t>(r.i64_filled_.size());
    for (std::size_t c = 0; c < ncol; ++c) {
      result_column& rc = r.columns_[c];
      tsfill::visit(rc.type_, [&](auto* tag) {
        using R = std::remove_pointer_t<decltype(tag)>;
        const auto at =
            static_cast<std::size_t>(static_cast<const R*>(rc.filled_) - r.block<R>(true).data());
        rc.original_ = r.block<R>(false).data() + at;
      });
    }
  }

  static void drop_originals(result& r) {
    r.f64_original_.reset();
    r.f32_original_.reset();
    r.i64_original_.reset();
    for (result_column& rc : r.columns_) rc.original_ = nullptr;
  }

  // A chunk's original values of one column when the result keeps none.
  struct scratch_values {
    std::vector<double> f64;
    std::vector<float> f32;
    std::vector<std::int64_t> i64;
    template <class R>
    R* get(std::size_t n) {
      std::vector<R>& v = [&]() -> std::vector<R>& {
        if constexpr (std::is_same_v<R, double>)
          return f64;
        else if constexpr (std::is_same_v<R, float>)
          return f32;
        else
          return i64;
      }();
      if (v.size() < n) v.resize(n);
      return v.data();
    }
  };

  // Per chunk, in parallel: the original values (row-selecting dedups: rows grouped by
  // partition are walked in order, otherwise cells read their winning rows), then the fill.
  // Fills that carry values in need every chunk placed before any is filled. Without
  // original columns (run_options::keep_original off) a chunk's original values live in a
  // scratch array of the chunk's size; carrying fills get whole columns, freed afterwards.
  template <class D, class FF>
  static void place_and_fill(result& r, const grid_plan& plan, const scatter_result& scattered,
                             const std::vector<value_column>& value_cols, std::span<const FF> fills,
                             const run_options& options, unsigned threads) {
    const std::size_t ncol = value_cols.size();
    const std::span<const segment> segments = r.segments_;
    const bool by_rows = RowSelectionDedup<D> && scattered.partition_sorted;
    const bool last_wins = std::is_same_v<D, tsfill::dedup::last> && plan.rows.time_sorted;
    const auto chunks = make_chunks(segments, scattered, by_rows, 1U << 15);
    auto first_cell = [&](std::size_t k) { return segments[chunks[k].seg_first].offset; };
    auto end_cell = [&](std::size_t k) {
      const segment& tail = segments[chunks[k].seg_last - 1];
      return tail.offset + tail.size;
    };
    // Column c of chunk k: its original values (into `orig`, the chunk's first cell on) and
    // statuses. Dedups that look at every row placed them in stage 3 already.
    auto place = [&]<class R>(std::size_t k, std::size_t c, R* orig) {
      if constexpr (RowSelectionDedup<D>) {
        const std::size_t c_begin = first_cell(k), c_end = end_cell(k);
        cell_status* status = r.columns_[c].status_ + c_begin;
        const std::uint32_t* winner = scattered.winner.data();
        const std::uint32_t* cells_of = scattered.cell_of_row.data();
        const bool nan_null = options.nan_is_null;
        const std::size_t r_begin = chunks[k].row_begin, r_end = chunks[k].row_end;
        if (by_rows && last_wins)
          scatter_values<R, true>(value_cols[c], nan_null, winner, cells_of, c_begin, c_end,
                                  r_begin, r_end, orig, status);
        else if (by_rows)
          scatter_values<R, false>(value_cols[c], nan_null, winner, cells_of, c_begin, c_end,
                                   r_begin, r_end, orig, status);
        else
          gather_rows<R>(value_cols[c], nan_null, winner, c_begin, c_end, orig, status);
      }
    };
    carry_plan carry = plan_carry(fills, r.columns_, options, plan.rows.keys, r.ticks_);
    // Column c of chunk k, segment by segment, from its original values (`original`, the
    // chunk's first cell on).
    auto fill = [&]<class R>(std::size_t k, std::size_t c, const R* original) {
      result_column& rc = r.columns_[c];
      const std::size_t c_begin = first_cell(k);
      R* filled = static_cast<R*>(rc.filled_);
      const auto& carried = carry.tables[c].template of<R>();
      for (std::size_t s = chunks[k].seg_first; s < chunks[k].seg_last; ++s) {
        const segment& seg = segments[s];
        fill_segment<R> fs{original + (seg.offset - c_begin),
                           filled + seg.offset,
                           rc.status_ + seg.offset,
                           rc.source_offsets_ ? rc.source_offsets_ + seg.offset : nullptr,
                           r.slot_time_.data() + seg.offset,
                           plan.dense ? nullptr : plan.cell_ordinals.data() + seg.offset,
                           seg.first_slot,
                           seg.size};
        if (carry.carries[c] && carry.tables[c].has[s]) fs.carry_in = &carried[s];
        if (rc.source_times_) fs.source_time = rc.source_times_ + seg.offset;
        fills[c].fill(fs);
      }
    };
    // The original values of column c from chunk k's first cell: the column's own, or scratch.
    auto originals = [&]<class R>(std::size_t k, std::size_t c, scratch_values& scratch) {
      void* column = r.columns_[c].original_;
      return column ? static_cast<R*>(column) + first_cell(k)
                    : scratch.get<R>(end_cell(k) - first_cell(k));
    };
    if (!carry.any) {
      // Each column filled right after it is placed, while its chunk is still in cache.
      parallel_for(chunks.size(), threads, [&](std::size_t k) {
        scratch_values scratch;
        for (std::size_t c = 0; c < ncol; ++c)
          tsfill::visit(r.columns_[c].type_, [&](auto* tag) {
            using R = std::remove_pointer_t<decltype(tag)>;
            R* orig = originals.template operator()<R>(k, c, scratch);
            place.template operator()<R>(k, c, orig);
            fill.template operator()<R>(k, c, static_cast<const R*>(orig));
          });
      });
      return;
    }
    if (!options.keep_original && ncol > 0 && r.columns_[0].original_ == nullptr)
      lay_out_originals(r, ncol);  // (dropped once filled)
    parallel_for(chunks.size(), threads, [&](std::size_t k) {
      for (std::size_t c = 0; c < ncol; ++c)
        tsfill::visit(r.columns_[c].type_, [&](auto* tag) {
          using R = std::remove_pointer_t<decltype(tag)>;
          place.template operator()<R>(k, c,
                                       static_cast<R*>(r.columns_[c].original_) + first_cell(k));
        });
    });
    for (std::size_t c = 0; c < ncol; ++c) {
      if (!carry.carries[c]) continue;
      const result_column& rc = r.columns_[c];
      tsfill::visit(rc.type_, [&](auto* tag) {
        using R = std::remove_pointer_t<decltype(tag)>;
        carry.tables[c].compute<R>(segments, static_cast<const R*>(rc.original_), rc.status_,
                                   r.slot_time_.data(),
                                   plan.dense ? nullptr : plan.cell_ordinals.data(),
                                   plan.rows.keys.count, carry.seed_col[c], carry.seed_entry);
      });
    }
    parallel_for(chunks.size(), threads, [&](std::size_t k) {
      for (std::size_t c = 0; c < ncol; ++c)
        tsfill::visit(r.columns_[c].type_, [&](auto* tag) {
          using R = std::remove_pointer_t<decltype(tag)>;
          fill.template operator()<R>(
              k, c, static_cast<const R*>(r.columns_[c].original_) + first_cell(k));
        });
    });
  }

  // Validity bitmaps and status counts of every column, in parallel over byte ranges.
  static void pack_all(result& r, unsigned threads) {
    const std::size_t ncol = r.columns_.size(), cells = r.rows();
    const std::size_t bitmap_bytes = (cells + 7) / 8;
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
  }

  static std::size_t count_partitions(std::span<const segment> segments) {
    std::size_t n = 0;
    for (std::size_t s = 0; s < segments.size(); ++s)
      n += s == 0 || segments[s].partition != segments[s - 1].partition;
    return n;
  }
};

}  // namespace detail
TSFILL_END_NAMESPACE
