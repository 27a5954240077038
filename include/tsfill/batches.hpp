// Batches: one job run a few partitions at a time, with exactly the result of one run.
//
// A backfill computes a range of partitions at a time (memory bounded by the batch, each
// partition replaced on its own). A partition's cells depend on two things outside its own
// rows, and each batch is told both through run_options:
//   - the keys, for grids that give every key cells (grid::range, session grids):
//     `key_universe` = the keys of the whole input (key_universe_of() collects them);
//   - each key's last observation before the batch, for fill::forward{.carry_in = true}:
//     `carry_in` = the previous batch's carry_out().
// With both, and `first_partition`/`last_partition` set to the batch's range, the results
// of the batches in partition order equal one run's, cell for cell
// (tests/differential/batches_test.cpp proves it against the one run).
//
//   tsfill::carry_seed seed;
//   for (const auto& [first, last] : batches) {
//     tsfill::run_options opt{.first_partition = first, .last_partition = last,
//                             .key_universe = &universe, .carry_in = &seed};
//     tsfill::result r = job.run(rows_of(first, last), opt);
//     seed = tsfill::carry_out(r, std::move(seed));
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE

// Per key, the last observed (deduplicated) value of each value column up to the end of a
// batch, with its slot: what fill::forward{.carry_in = true} carries into the next batch.
struct carry_seed {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  template <class T>
  using carried = std::vector<carried_value<T>>;

  struct column {
    std::string name;
    std::variant<carried<double>, carried<float>, carried<std::int64_t>> values;  // per entry
    std::vector<std::uint8_t> has;  // per entry: 1 when that key has an observation
    value_type type() const noexcept { return static_cast<value_type>(values.index()); }
  };

  tick_period ticks{};                          // of the runs it came from
  std::size_t entries = 0;                      // keys
  std::vector<std::vector<std::int64_t>> keys;  // [key column][entry], as key_column::at
  std::vector<column> columns;

  bool empty() const noexcept { return entries == 0; }

  // The entry of a key tuple, or npos. Reads only (runs may share one seed across threads);
  // entries added other than by insert() are found by a scan.
  std::size_t find(const std::vector<std::int64_t>& key) const {
    if (index_.size() == entries) {
      const auto it = index_.find(key);
      return it == index_.end() ? npos : it->second;
    }
    for (std::size_t e = 0; e < entries; ++e)
      if (key_of(e) == key) return e;
    return npos;
  }
  const column* find_column(const std::string& name) const noexcept {
    for (const column& c : columns)
      if (c.name == name) return &c;
    return nullptr;
  }

  // Adds a key (if new) and returns its entry.
  std::size_t insert(const std::vector<std::int64_t>& key) {
    if (index_.size() != entries) rebuild_index();
    const std::size_t e = find(key);
    if (e != npos) return e;
    if (keys.size() != key.size()) keys.resize(key.size());
    for (std::size_t j = 0; j < key.size(); ++j) keys[j].push_back(key[j]);
    for (column& c : columns) {
      std::visit([](auto& v) { v.emplace_back(); }, c.values);
      c.has.push_back(0);
    }
    index_.emplace(key, entries);
    return entries++;
  }

  std::vector<std::int64_t> key_of(std::size_t entry) const {
    std::vector<std::int64_t> key(keys.size());
    for (std::size_t j = 0; j < keys.size(); ++j) key[j] = keys[j][entry];
    return key;
  }

 private:
  void rebuild_index() {
    index_.clear();
    for (std::size_t e = 0; e < entries; ++e) index_.emplace(key_of(e), e);
  }
  std::map<std::vector<std::int64_t>, std::size_t> index_;  // key -> entry
};

namespace detail {
inline carry_seed::column make_seed_column(const std::string& name, value_type type,
                                           std::size_t entries) {
  carry_seed::column c{name, {}, std::vector<std::uint8_t>(entries, 0)};
  tsfill::visit(type, [&](auto* tag) {
    c.values = std::vector<carried_value<std::remove_pointer_t<decltype(tag)>>>(entries);
  });
  return c;
}
}  // namespace detail

// The seed for the batch after `r`: `previous` updated with each key's last observation in
// `r` (keys without one in `r` keep the previous entry).
inline carry_seed carry_out(const result& r, carry_seed previous = {}) {
  carry_seed seed = std::move(previous);
  if (seed.empty() && seed.columns.empty()) {
    seed.ticks = r.ticks();
    seed.keys.assign(r.key_count(), {});
  }
  if (seed.ticks != r.ticks())
    throw invalid_argument("carry_out: the seed's tick period differs from the result's");
  if (seed.keys.size() != r.key_count())
    throw invalid_argument("carry_out: the seed has " + std::to_string(seed.keys.size()) +
                           " key columns, the result " + std::to_string(r.key_count()));
  // Entry of every distinct key of the result that has a segment.
  std::vector<std::size_t> entry(r.distinct_key_count(), carry_seed::npos);
  std::vector<std::int64_t> key(r.key_count());
  for (const segment& s : r.segments()) {
    if (entry[s.key] != carry_seed::npos) continue;
    for (std::size_t j = 0; j < key.size(); ++j) key[j] = r.distinct_keys(j)[s.key];
    entry[s.key] = seed.insert(key);
  }
  for (const result_column& rc : r.values()) {
    carry_seed::column* col = nullptr;
    for (carry_seed::column& c : seed.columns)
      if (c.name == rc.name()) col = &c;
    if (col == nullptr) {
      seed.columns.push_back(detail::make_seed_column(rc.name(), rc.type(), seed.entries));
      col = &seed.columns.back();
    } else if (col->type() != rc.type()) {
      throw invalid_argument("carry_out: the seed's column '" + rc.name() + "' holds " +
                             to_string(col->type()) + " values, the result's " +
                             to_string(rc.type()));
    }
    std::visit(
        [&](auto& carried) {
          using T = decltype(carried[0].value);
          const std::span<const T> original = rc.original<T>();
          const std::span<const cell_status> status = rc.status();
          for (const segment& s : r.segments()) {  // in output order: later partitions last
            for (std::size_t i = s.offset + s.size; i-- > s.offset;) {
              if (status[i] != cell_status::observed) continue;
              carried[entry[s.key]] = {original[i], r.slot_times()[i], r.slot_ordinal(s, i)};
              col->has[entry[s.key]] = 1;
              break;
            }
          }
        },
        col->values);
  }
  return seed;
}

// The distinct key tuples of `keys` (typically all key columns of the whole input), as
// columns of the same names and types for run_options::key_universe. `storage` owns the
// values the returned columns view.
struct key_universe {
  std::vector<key_column> columns;
  std::vector<
      std::variant<std::vector<std::int8_t>, std::vector<std::int16_t>, std::vector<std::int32_t>,
                   std::vector<std::int64_t>, std::vector<std::uint8_t>, std::vector<std::uint16_t>,
                   std::vector<std::uint32_t>, std::vector<std::uint64_t>>>
      storage;
};

inline key_universe key_universe_of(const std::vector<key_column>& keys) {
  key_universe u;
  if (keys.empty()) return u;
  const std::size_t n = keys[0].size();
  std::map<std::vector<std::int64_t>, std::size_t> seen;
  std::vector<std::size_t> rows;  // the first row of each distinct tuple
  std::vector<std::int64_t> tuple(keys.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < keys.size(); ++j) tuple[j] = keys[j].at(i);
    if (seen.emplace(tuple, i).second) rows.push_back(i);
  }
  u.storage.reserve(keys.size());
  for (const key_column& col : keys) {
    std::visit(
        [&](auto s) {
          using I = typename decltype(s)::value_type;
          std::vector<I> v;
          v.reserve(rows.size());
          for (std::size_t i : rows) v.push_back(s[i]);
          u.storage.emplace_back(std::move(v));
          u.columns.emplace_back(col.name(), std::get<std::vector<I>>(u.storage.back()));
        },
        col.data());
  }
  return u;
}

TSFILL_END_NAMESPACE
