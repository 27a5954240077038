// apply(): late values into one month partition. For partition p, every staged value of
// month m in [p - N + 1, p] goes to index p - m of its key's row, in each staged column's
// array; nothing else changes. In partition m itself a key without a row gets a new row
// (its lists all nulls but what is placed), and new rows are made before any value is
// placed, so several late months of one key land in each other's rows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/history/staged.hpp>
#include <tsfill/history/table.hpp>

TSFILL_BEGIN_NAMESPACE
namespace history {

// What apply() did to one partition.
struct apply_audit {
  std::size_t rows_changed = 0;   // rows whose arrays now differ (new rows included)
  std::size_t values_placed = 0;  // elements written (a value or an explicit null)
  std::size_t new_rows = 0;       // rows made for keys staged for this very month
  bool changed() const noexcept { return rows_changed > 0; }
};

namespace detail {

inline bool same_element(double a, bool a_valid, double b, bool b_valid) {
  if (a_valid != b_valid) return false;
  return !a_valid || std::memcmp(&a, &b, sizeof a) == 0;  // (bits: NaN equals NaN)
}

}  // namespace detail

inline apply_audit apply(partition& part, const staged_set& staged) {
  apply_audit audit;
  const staging& s = staged.source();
  const std::span<const std::size_t> w = staged.window(part.m, part.length);
  if (w.empty()) return audit;
  std::vector<std::size_t> row = rows_of_keys(part, s, w);
  const std::size_t old_rows = part.rows();
  // New rows first (w is by month, then key: this month's keys in key order), then the
  // rows found again: a key's earlier months go into its new row too.
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (s.months[w[i]] != part.m || row[i] != SIZE_MAX) continue;
    part.append_empty_row(s.keys[w[i]]);
    ++audit.new_rows;
  }
  if (audit.new_rows > 0) row = rows_of_keys(part, s, w);
  std::vector<std::uint8_t> changed(part.rows(), 0);
  for (std::size_t r = old_rows; r < part.rows(); ++r) changed[r] = 1;
  const std::size_t n = part.length;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t r = row[i];
    if (r == SIZE_MAX) continue;  // the key has no row this month: nothing to hold the value
    const std::size_t e = w[i];
    const std::size_t at = r * n + static_cast<std::size_t>(part.m - s.months[e]);
    for (const staged_column& c : s.columns) {
      array_column& a = part.arrays[c.target];
      if (!a.row_valid[r]) {  // a null list becomes a list of nulls to hold the value
        a.row_valid[r] = 1;
        std::fill_n(a.valid.begin() + static_cast<std::ptrdiff_t>(r * n), n, std::uint8_t{0});
        std::fill_n(a.values.begin() + static_cast<std::ptrdiff_t>(r * n), n, 0.0);
        changed[r] = 1;
      }
      const bool v = c.valid[e] != 0;
      const double x = v ? c.values[e] : 0.0;
      if (!detail::same_element(a.values[at], a.valid[at] != 0, x, v)) changed[r] = 1;
      a.values[at] = x;
      a.valid[at] = v ? 1 : 0;
      ++audit.values_placed;
    }
  }
  for (const std::uint8_t c : changed) audit.rows_changed += c;
  return audit;
}

}  // namespace history
TSFILL_END_NAMESPACE
