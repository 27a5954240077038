// Row rules (--where), shared by the readers: which rows to keep, and which rule dropped
// each row that was not kept (counted per rule for --stats).
//
//   COL=V     the cell is V; several on one column: any of them (V may be a glob: 'Reg*')
//   COL!=V    the cell is not V (nor matches the glob)
//   COL<V  COL<=V  COL>V  COL>=V
//             numbers compare as numbers, timestamps as instants, anything else as bytes
//   COL:notnull   the cell is not null
// A null cell passes no comparison but =/!= against its literal CSV text (e.g. NA). A row
// is kept when it passes every rule; the first rule it fails (in the order given) is the
// one counted.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsfill_io {

struct where_rule {
  enum class op { eq, ne, lt, le, gt, ge, notnull };
  std::string column;
  op kind = op::eq;
  std::vector<std::string> values;  // eq: any of these; others: one

  std::string text() const;  // as the user would write it ("tradingSession=RegularMkt")
};

// Parses one --where text; throws a flag_error naming --where.
where_rule parse_where(const std::string& text);

// Adds `r` to `rules`, merging COL=V rules on one column into one (any of the values).
void add_where(std::vector<where_rule>& rules, where_rule r);

// Whether a cell passes a rule. `text` is the cell as text, `null` whether it is null.
bool passes(const where_rule& r, std::string_view text, bool null);

}  // namespace tsfill_io
