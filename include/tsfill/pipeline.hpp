// The pipeline: slot, partition, dedup, grid and fill policies, composed at compile time.
//
//   tsfill::pipeline job{.slot = tsfill::slot::fixed{30min}};   // every other policy: default
//   tsfill::result out = job.run(table);                        // table_view<Duration>
//
// Policies default to the reference scenario: UTC-day partitions, keep the latest row per
// slot, a per-partition grid over all keys, forward fill. `run` takes one fill for every
// value column, or a span with one fill per column (use fill::any to mix kinds at run time).
//
// Each policy is bound to the input's tick period once per run; the hot loops call the bound
// objects, which are instantiated on the value types only, never on the whole pipeline type.
// A run's stages, in order (detail/engine.hpp has the map): 1 index, 2 plan (these two on
// the slot, partition and grid policies), 3 dedup, 4 place, 5 fill, 6 assemble (on the dedup
// policy and the bound fills only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/diagnostics.hpp>
#include <tsfill/detail/engine.hpp>
#include <tsfill/detail/stages/plan.hpp>
#include <tsfill/error.hpp>
#include <tsfill/policies/dedup.hpp>
#include <tsfill/policies/fill.hpp>
#include <tsfill/policies/grid.hpp>
#include <tsfill/policies/partition.hpp>
#include <tsfill/policies/slot.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE

template <class S = slot::fixed, class P = partition::utc_day, class D = dedup::last,
          class G = grid::partition_span, class F = fill::forward>
struct pipeline {
  static_assert(detail::check_slot_policy<S>());
  static_assert(detail::check_partition_policy<P>());
  static_assert(detail::check_dedup_policy<D>());
  static_assert(detail::check_grid_policy<G>());
  static_assert(detail::check_fill_policy<F>());

  S slot{};
  P partition{};
  D dedup{};
  G grid{};
  F fill{};

  // Fills every value column with `fill`.
  template <class Duration>
  result run(const table_view<Duration>& input, const run_options& options = {}) const {
    const std::vector<F> fills(input.values.size(), fill);
    return run(input, std::span<const F>(fills), options);
  }

  // Fills value column i with fills[i].
  template <class Duration>
  result run(const table_view<Duration>& input, std::span<const F> fills,
             const run_options& options = {}) const {
    input.check();
    if (fills.size() != input.values.size())
      throw invalid_argument("pipeline::run got " + std::to_string(fills.size()) +
                             " fill policies for " + std::to_string(input.values.size()) +
                             " value columns");
    if (input.rows() >= detail::no_index)
      throw invalid_argument("a run takes at most " + std::to_string(detail::no_index - 1) +
                             " rows; split the input by partition");
    const tick_period ticks = tick_period::of<Duration>();
    run_stats stats;
    stats.rows_in = input.rows();
    detail::stage_clock clock(stats);

    const auto slot_fn = slot.bind(ticks);
    const auto part_fn = partition.bind(ticks);
    const grid_context ctx{ticks, [&](std::int64_t t) { return slot_fn.ordinal(t); },
                           [&](std::int64_t s) { return slot_fn.start(s); },
                           [&](std::int64_t t) { return part_fn.id(t); },
                           [&](std::int64_t id) { return part_fn.begin(id); }};
    const auto grid_fn = grid.bind(ctx);
    using fill_fn = decltype(fill.bind(ticks));
    std::vector<fill_fn> fill_fns;
    fill_fns.reserve(fills.size());
    for (std::size_t c = 0; c < fills.size(); ++c) {
      fill_fns.push_back(fills[c].bind(ticks));
      if constexpr (requires { fill_fns.back().check_column(value_type{}, std::string{}); }) {
        fill_fns.back().check_column(detail::output_value_type<D>(input.values[c].type()),
                                     input.values[c].name());
      }
    }

    double bytes_per_cell = 8;  // the slot time (run_options::max_bytes says what counts)
    for (const value_column& v : input.values)
      bytes_per_cell += (detail::output_value_type<D>(v.type()) == value_type::float32 ? 8 : 16) +
                        1.25 + (options.source_offsets ? 4 : 0) + (options.source_times ? 8 : 0);
    detail::grid_plan plan = detail::plan_grid(input.time, input.keys, slot_fn, part_fn, grid_fn,
                                               options, bytes_per_cell);
    // Input not grouped by partition was reordered: the later stages read the moved copies.
    std::span<const std::int64_t> time = input.time;
    const std::vector<value_column>* values = &input.values;
    detail::reordered_values moved;
    if (plan.rows.reordered()) {
      moved = detail::reorder_values(input.values, plan.rows.dest, options.threads);
      time = plan.rows.time.span();
      values = &moved.columns;
    }
    clock.lap("grid");
    return detail::result_builder::build(time, input.keys, *values, ticks, std::move(plan), dedup,
                                         std::span<const fill_fn>(fill_fns), options, clock,
                                         std::move(stats));
  }
};

TSFILL_END_NAMESPACE
