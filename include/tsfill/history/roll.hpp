// roll(): month M built from month M - 1. Every row of M - 1 moves on with its arrays
// shifted by one (index i of M holds index i - 1 of M - 1), the new month's value (or a
// null) at index 0; keys the input has and M - 1 lacks get new rows (lists of nulls but
// index 0). The element that falls off the end (index N - 1 of M - 1) is gone.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/history/staged.hpp>
#include <tsfill/history/table.hpp>

TSFILL_BEGIN_NAMESPACE
namespace history {

struct rolled {
  partition part;                      // month M
  std::vector<std::size_t> prev_row;   // per row of M: its row in M - 1, or SIZE_MAX (new key)
  std::vector<std::size_t> input_row;  // per row of M: its staged row, or SIZE_MAX (none)
};

// `input`: the new month's values, one staged row per key (all of month prev.m + 1; the
// rule for repeats is `dedup`'s).
inline rolled roll(const partition& prev, const staging& input, staged_dedup dedup) {
  const staged_set staged(input, dedup);
  const std::size_t n = prev.length;
  rolled out;
  partition& p = out.part;
  p.m = prev.m + 1;
  p.length = n;
  p.keys = prev.keys;
  p.arrays.resize(prev.arrays.size());
  for (std::size_t k = 0; k < prev.arrays.size(); ++k) {
    const array_column& a = prev.arrays[k];
    array_column& b = p.arrays[k];
    b.name = a.name;
    b.row_valid = a.row_valid;
    b.values.assign(a.values.size(), 0.0);
    b.valid.assign(a.valid.size(), 0);
    for (std::size_t r = 0; r < prev.rows(); ++r) {
      if (n == 0) break;
      std::copy_n(a.values.begin() + static_cast<std::ptrdiff_t>(r * n), n - 1,
                  b.values.begin() + static_cast<std::ptrdiff_t>(r * n + 1));
      std::copy_n(a.valid.begin() + static_cast<std::ptrdiff_t>(r * n), n - 1,
                  b.valid.begin() + static_cast<std::ptrdiff_t>(r * n + 1));
    }
  }
  out.prev_row.resize(prev.rows());
  for (std::size_t r = 0; r < prev.rows(); ++r) out.prev_row[r] = r;
  out.input_row.assign(prev.rows(), SIZE_MAX);
  const std::span<const std::size_t> entries = staged.entries();  // by key (one month)
  std::vector<std::size_t> row = rows_of_keys(p, input, entries);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (row[i] == SIZE_MAX) {
      row[i] = p.rows();
      p.append_empty_row(input.keys[entries[i]]);
      out.prev_row.push_back(SIZE_MAX);
      out.input_row.push_back(SIZE_MAX);
    }
    out.input_row[row[i]] = input.rows[entries[i]];
    for (const staged_column& c : input.columns) {
      array_column& a = p.arrays[c.target];
      const std::size_t r = row[i];
      if (!a.row_valid[r]) {  // (its elements are all nulls already: shifted from a null list)
        a.row_valid[r] = 1;
      }
      if (n == 0) continue;
      a.values[r * n] = c.valid[entries[i]] ? c.values[entries[i]] : 0.0;
      a.valid[r * n] = c.valid[entries[i]] ? 1 : 0;
    }
  }
  return out;
}

}  // namespace history
TSFILL_END_NAMESPACE
