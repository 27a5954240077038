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
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/detail/grid_plan.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>
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

  [[noreturn]] inline void throw_duplicate(const grid_plan& plan,
                                           const std::vector<key_column>& key_cols,
                                           std::span<const std::int64_t> time, std::size_t first,
                                           std::size_t second) {
    std::string key;
    for (std::size_t j = 0; j < key_cols.size(); ++j) {
      key += (j ? ", " : "") + key_cols[j].name() + "=" +
             std::to_string(plan.keys.values[j][plan.keys.index[second]]);
    }
    throw duplicate_error("dedup::reject: rows " + std::to_string(first) + " and " +
                              std::to_string(second) + " (0-based) fall into the same slot" +
                              (key.empty() ? "" : " for key " + key) + " (times " +
                              std::to_string(time[first]) + " and " + std::to_string(time[second]) +
                              " ticks)",
                          first, second);
  }

  // Row selection: the winning row of every cell (no_index when empty).
  template <RowSelectionDedup D>
  std::vector<std::uint32_t> select_rows(const D& dedup, const grid_plan& plan,
                                         std::span<const std::int64_t> time,
                                         const std::vector<key_column>& key_cols) {
    std::vector<std::uint32_t> winner(plan.cells, no_index);
    for (std::size_t i = 0; i < time.size(); ++i) {
      const std::uint64_t c = plan.cell_of_row[i];
      if (c == no_cell) continue;
      std::uint32_t& w = winner[c];
      if (w == no_index) {
        w = static_cast<std::uint32_t>(i);
        continue;
      }
      switch (dedup.choose({time[w], w}, {time[i], i})) {
        case dedup_choice::keep:
          break;
        case dedup_choice::replace:
          w = static_cast<std::uint32_t>(i);
          break;
        case dedup_choice::reject:
          throw_duplicate(plan, key_cols, time, w, i);
      }
    }
    return winner;
  }

  // Writes original values and observed/missing status of one column of type T.
  template <class D, class T>
  void gather_column(const D& dedup, const grid_plan& plan, std::span<const std::int64_t> time,
                     const value_column& col, bool nan_is_null,
                     const std::vector<std::uint32_t>& row_winner,
                     const std::vector<std::uint8_t>& occupied, output_type_t<D, T>* out,
                     cell_status* status) {
    const std::span<const T> v = col.values<T>();
    const std::size_t cells = plan.cells;
    if constexpr (RowSelectionDedup<D>) {
      for (std::size_t c = 0; c < cells; ++c) {
        const std::uint32_t w = row_winner[c];
        const bool ok = w != no_index && value_is_valid(col, v, w, nan_is_null);
        out[c] = ok ? v[w] : null_placeholder<T>();
        status[c] = ok ? cell_status::observed : cell_status::missing;
      }
    } else if constexpr (ValueSelectionDedup<D>) {
      std::vector<std::uint32_t> winner(cells, no_index);
      for (std::size_t i = 0; i < time.size(); ++i) {
        const std::uint64_t c = plan.cell_of_row[i];
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
        const std::uint64_t c = plan.cell_of_row[i];
        if (c != no_cell && value_is_valid(col, v, i, nan_is_null)) acc[c].add(v[i]);
      }
      using R = output_type_t<D, T>;
      for (std::size_t c = 0; c < cells; ++c) {
        const bool ok = occupied[c] != 0 && acc[c].has_value();
        out[c] = ok ? static_cast<R>(acc[c].value()) : null_placeholder<R>();
        status[c] = ok ? cell_status::observed : cell_status::missing;
      }
    }
  }

  // Packs "status satisfies pred" into an Arrow bitmap.
  template <class Pred>
  void pack_bitmap(const cell_status* status, std::size_t n, std::uint8_t* bits, Pred pred) {
    const std::size_t bytes = (n + 7) / 8;
    for (std::size_t b = 0; b < bytes; ++b) {
      std::uint8_t byte = 0;
      const std::size_t base = b * 8;
      const std::size_t m = n - base < 8 ? n - base : 8;
      for (std::size_t k = 0; k < m; ++k)
        byte = static_cast<std::uint8_t>(byte | (pred(status[base + k]) ? 1U << k : 0U));
      bits[b] = byte;
    }
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

  struct result_builder {
    template <SlotFunction SF, DedupPolicy D, FillFunction FF>
    static result build(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                        const std::vector<value_column>& value_cols, tick_period ticks,
                        grid_plan&& plan, const SF& sf, const D& dedup, std::span<const FF> fills,
                        bool nan_is_null, bool source_offsets, stage_clock& clock,
                        run_stats&& stats) {
      result r;
      r.ticks_ = ticks;
      const std::size_t cells = plan.cells;
      const std::size_t ncol = value_cols.size();
      r.segments_ = std::move(plan.segments);
      r.distinct_keys_ = plan.keys.count;
      for (const key_column& k : key_cols) r.key_names_.push_back(k.name());

      // Which cells hold at least one row; rows that land in an occupied cell are duplicates.
      std::vector<std::uint8_t> occupied(cells, 0);
      for (std::size_t i = 0; i < time.size(); ++i) {
        const std::uint64_t c = plan.cell_of_row[i];
        if (c == no_cell) continue;
        stats.duplicate_rows += occupied[c];
        occupied[c] = 1;
      }
      std::vector<std::uint32_t> row_winner;
      if constexpr (RowSelectionDedup<D>) row_winner = select_rows(dedup, plan, time, key_cols);
      clock.lap("dedup");

      // Allocate one block per output type and role, columns in input order.
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
      if (source_offsets) r.source_offsets_ = buffer<std::int32_t>(ncol * cells);
      const std::size_t bitmap_bytes = (cells + 7) / 8;
      r.validity_ = buffer<std::uint8_t>(2 * ncol * bitmap_bytes);
      std::size_t next_of_type[3] = {0, 0, 0};
      r.columns_.resize(ncol);
      for (std::size_t c = 0; c < ncol; ++c) {
        result_column& rc = r.columns_[c];
        rc.name_ = value_cols[c].name();
        rc.type_ = out_types[c];
        rc.rows_ = cells;
        const std::size_t slot = next_of_type[static_cast<int>(rc.type_)]++ * cells;
        switch (rc.type_) {
          case value_type::float64:
            rc.original_ = r.f64_original_.data() + slot;
            rc.filled_ = r.f64_filled_.data() + slot;
            break;
          case value_type::float32:
            rc.original_ = r.f32_original_.data() + slot;
            rc.filled_ = r.f32_filled_.data() + slot;
            break;
          case value_type::int64:
            rc.original_ = r.i64_original_.data() + slot;
            rc.filled_ = r.i64_filled_.data() + slot;
            break;
        }
        rc.status_ = r.status_.data() + c * cells;
        if (source_offsets) rc.source_offsets_ = r.source_offsets_.data() + c * cells;
        rc.original_validity_ = r.validity_.data() + 2 * c * bitmap_bytes;
        rc.filled_validity_ = r.validity_.data() + (2 * c + 1) * bitmap_bytes;
      }

      // Gather each column onto the grid.
      for (std::size_t c = 0; c < ncol; ++c) {
        result_column& rc = r.columns_[c];
        cell_status* status = r.status_.data() + c * cells;
        std::visit(
            [&](auto s) {
              using T = typename decltype(s)::value_type;
              using R = output_type_t<D, T>;
              gather_column<D, T>(dedup, plan, time, value_cols[c], nan_is_null, row_winner,
                                  occupied, static_cast<R*>(rc.original_), status);
            },
            value_cols[c].data());
      }
      clock.lap("gather");

      // Slot start time of every cell.
      r.slot_time_ = buffer<std::int64_t>(cells);
      for (const segment& s : r.segments_) {
        std::int64_t* out = r.slot_time_.data() + s.offset;
        if (plan.dense) {
          for (std::size_t i = 0; i < s.size; ++i)
            out[i] = sf.start(s.first_slot + static_cast<std::int64_t>(i));
        } else {
          const std::int64_t* o = plan.cell_ordinals.data() + s.offset;
          for (std::size_t i = 0; i < s.size; ++i) out[i] = sf.start(o[i]);
        }
      }

      // Fill, segment by segment.
      for (std::size_t c = 0; c < ncol; ++c) {
        result_column& rc = r.columns_[c];
        auto run_fill = [&](auto* type_tag) {
          using R = std::remove_pointer_t<decltype(type_tag)>;
          const R* original = static_cast<const R*>(rc.original_);
          R* filled = static_cast<R*>(rc.filled_);
          cell_status* status = r.status_.data() + c * cells;
          std::int32_t* src = source_offsets ? r.source_offsets_.data() + c * cells : nullptr;
          for (const segment& s : r.segments_) {
            const fill_segment<R> seg{original + s.offset,
                                      filled + s.offset,
                                      status + s.offset,
                                      src ? src + s.offset : nullptr,
                                      r.slot_time_.data() + s.offset,
                                      plan.dense ? nullptr : plan.cell_ordinals.data() + s.offset,
                                      s.first_slot,
                                      s.size};
            fills[c].fill(seg);
          }
        };
        switch (rc.type_) {
          case value_type::float64:
            run_fill(static_cast<double*>(nullptr));
            break;
          case value_type::float32:
            run_fill(static_cast<float*>(nullptr));
            break;
          case value_type::int64:
            run_fill(static_cast<std::int64_t*>(nullptr));
            break;
        }
      }
      clock.lap("fill");

      // Validity bitmaps and statistics.
      for (std::size_t c = 0; c < ncol; ++c) {
        result_column& rc = r.columns_[c];
        const cell_status* status = rc.status_;
        for (std::size_t i = 0; i < cells; ++i)
          ++rc.stats_.cells[static_cast<std::size_t>(status[i])];
        pack_bitmap(status, cells, rc.original_validity_,
                    [](cell_status s) { return s == cell_status::observed; });
        pack_bitmap(status, cells, rc.filled_validity_,
                    [](cell_status s) { return s != cell_status::missing; });
      }
      r.key_values_ = std::move(plan.keys.values);
      stats.cells = cells;
      stats.keys = plan.keys.count;
      stats.rows_outside_grid = plan.rows_outside;
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
