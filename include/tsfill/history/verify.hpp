// verify(): does every staged value sit at its index in this partition? For partition p
// and each staged value of month m in [p - N + 1, p]: the key's row holds it at index
// p - m (a value equal bit for bit, or a null for a staged null); in partition m itself
// the key must have a row. A key without a row in a later month holds nothing there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/history/apply.hpp>
#include <tsfill/history/staged.hpp>
#include <tsfill/history/table.hpp>

TSFILL_BEGIN_NAMESPACE
namespace history {

struct misplaced {
  std::int64_t key = 0;
  month staged_month = 0;
  std::size_t staged_row = 0;  // in the staging source (from 1)
  std::size_t column = 0;      // index into staging::columns (SIZE_MAX: the row is missing)
  bool found_valid = false;    // what the partition holds there
  double found = 0;
};

inline std::vector<misplaced> verify(const partition& part, const staged_set& staged) {
  std::vector<misplaced> out;
  const staging& s = staged.source();
  const std::span<const std::size_t> w = staged.window(part.m, part.length);
  const std::vector<std::size_t> row = rows_of_keys(part, s, w);
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t e = w[i];
    if (row[i] == SIZE_MAX) {
      if (s.months[e] == part.m) out.push_back({s.keys[e], s.months[e], s.rows[e], SIZE_MAX});
      continue;
    }
    const std::size_t at = row[i] * part.length + static_cast<std::size_t>(part.m - s.months[e]);
    for (std::size_t c = 0; c < s.columns.size(); ++c) {
      const staged_column& sc = s.columns[c];
      const array_column& a = part.arrays[sc.target];
      const bool there = a.row_valid[row[i]] != 0;
      const bool v = there && a.valid[at] != 0;
      const double x = v ? a.values[at] : 0.0;
      const bool want_v = sc.valid[e] != 0;
      const bool ok = there && detail::same_element(x, v, want_v ? sc.values[e] : 0.0, want_v);
      if (!ok) out.push_back({s.keys[e], s.months[e], s.rows[e], c, v, x});
    }
  }
  return out;
}

}  // namespace history
TSFILL_END_NAMESPACE
