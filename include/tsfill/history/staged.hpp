// The staged late values, checked and ordered for the operations: one value per key and
// month (two are an error naming both rows, or with staged_dedup::last the later row
// wins), sorted by month so that the values a partition needs are one contiguous window.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/history/table.hpp>

TSFILL_BEGIN_NAMESPACE
namespace history {

enum class staged_dedup { reject, last };

class staged_set {
 public:
  staged_set(const staging& s, staged_dedup dedup) : s_(&s) {
    std::vector<std::size_t> by_key(s.size());
    for (std::size_t i = 0; i < by_key.size(); ++i) by_key[i] = i;
    std::sort(by_key.begin(), by_key.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(s.keys[a], s.months[a], s.rows[a]) <
             std::tie(s.keys[b], s.months[b], s.rows[b]);
    });
    for (std::size_t i = 0; i < by_key.size(); ++i) {
      const std::size_t e = by_key[i];
      const bool repeated = i + 1 < by_key.size() && s.keys[by_key[i + 1]] == s.keys[e] &&
                            s.months[by_key[i + 1]] == s.months[e];
      if (repeated && dedup == staged_dedup::reject)
        throw duplicate_staged(
            s.rows[e], s.rows[by_key[i + 1]],
            "rows " + std::to_string(s.rows[e]) + " and " + std::to_string(s.rows[by_key[i + 1]]) +
                " stage two values for one key and month " + month_text(s.months[e]));
      if (!repeated) order_.push_back(e);  // (the last row of a run of repeats wins)
    }
    std::sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(s.months[a], s.keys[a]) < std::tie(s.months[b], s.keys[b]);
    });
  }

  const staging& source() const noexcept { return *s_; }
  // The staged rows kept, by (month, key).
  std::span<const std::size_t> entries() const noexcept { return order_; }
  std::size_t repeats_dropped() const noexcept { return s_->size() - order_.size(); }

  // The entries whose values belong in partition `p` of a table of arrays of `length`:
  // staged months in [p - length + 1, p].
  std::span<const std::size_t> window(month p, std::size_t length) const {
    const month first = p - static_cast<month>(length) + 1;
    const auto lo = std::lower_bound(order_.begin(), order_.end(), first,
                                     [&](std::size_t e, month m) { return s_->months[e] < m; });
    const auto hi = std::upper_bound(lo, order_.end(), p,
                                     [&](month m, std::size_t e) { return m < s_->months[e]; });
    return {order_.data() + (lo - order_.begin()), static_cast<std::size_t>(hi - lo)};
  }

  // Of the table's partitions (months, any order), those some staged value belongs in.
  std::vector<month> partitions_touched(std::span<const month> table, std::size_t length) const {
    std::vector<month> out;
    for (const month p : table)
      if (!window(p, length).empty()) out.push_back(p);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  const staging* s_;
  std::vector<std::size_t> order_;
};

// The rows of a partition holding the keys of `entries` (a key without a row: none). A
// key with two rows in one month is an error: the table is not a history table.
inline std::vector<std::size_t> rows_of_keys(const partition& part, const staging& s,
                                             std::span<const std::size_t> entries) {
  constexpr std::size_t none = SIZE_MAX;
  std::vector<std::pair<std::int64_t, std::size_t>> wanted;  // (key, entry position)
  wanted.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) wanted.emplace_back(s.keys[entries[i]], i);
  std::sort(wanted.begin(), wanted.end());
  std::vector<std::size_t> row(entries.size(), none);
  if (wanted.empty()) return row;
  for (std::size_t r = 0; r < part.rows(); ++r) {
    const std::int64_t k = part.keys[r];
    auto it = std::lower_bound(wanted.begin(), wanted.end(), std::pair{k, std::size_t{0}});
    for (; it != wanted.end() && it->first == k; ++it) {
      if (row[it->second] != none && row[it->second] != r)
        throw std::invalid_argument("month " + month_text(part.m) + ": key " + std::to_string(k) +
                                    " has two rows (" + std::to_string(row[it->second] + 1) +
                                    " and " + std::to_string(r + 1) + ")");
      row[it->second] = r;
    }
  }
  return row;
}

}  // namespace history
TSFILL_END_NAMESPACE
