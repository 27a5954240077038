// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 5 of a run, fill: each value column is filled segment by segment by its bound fill
// policy (the call is in engine.hpp); here what fills that carry values into a partition
// need: each key's last observation before the segment, from earlier partitions of the run
// or the carry-in seed (run_options::carry_in).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tsfill/batches.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

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

// What the fill stage needs for fills that carry values in: which columns carry, their
// carry tables (computed once every chunk is placed), and the seed's matching columns.
struct carry_plan {
  std::vector<bool> carries;  // per column
  bool any = false;
  std::vector<carry_table> tables;                  // per column
  std::vector<const carry_seed::column*> seed_col;  // per column: the seed's, by name
  std::vector<std::size_t> seed_entry;              // per key of the run
};

template <class FF>
carry_plan plan_carry(std::span<const FF> fills, const std::vector<result_column>& columns,
                      const run_options& options, const encoded_keys& keys, tick_period ticks) {
  const std::size_t ncol = columns.size();
  carry_plan p;
  p.carries.assign(ncol, false);
  p.tables.resize(ncol);
  p.seed_col.assign(ncol, nullptr);
  if constexpr (requires(const FF& f) {
                  { f.carries_in() } -> std::convertible_to<bool>;
                }) {
    for (std::size_t c = 0; c < ncol; ++c) {
      p.carries[c] = fills[c].carries_in();
      p.any = p.any || p.carries[c];
    }
  }
  if (!p.any || options.carry_in == nullptr || options.carry_in->empty()) return p;
  p.seed_entry = seed_entries(*options.carry_in, keys, ticks);
  for (std::size_t c = 0; c < ncol; ++c) {
    if (!p.carries[c]) continue;
    p.seed_col[c] = options.carry_in->find_column(columns[c].name());
    if (p.seed_col[c] != nullptr && p.seed_col[c]->type() != columns[c].type())
      throw invalid_argument("run_options::carry_in: the seed's column '" + columns[c].name() +
                             "' holds " + to_string(p.seed_col[c]->type()) + " values, the run's " +
                             to_string(columns[c].type()));
  }
  return p;
}

}  // namespace detail
TSFILL_END_NAMESPACE
