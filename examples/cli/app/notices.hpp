// Notices: what a run did that the user did not ask for and must not miss, one line each
// on stderr (the exit status stays 0). Today: columns left out of the default value set.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tsfill_cli {

// Columns the default value set (no --values, or a glob) left out because they are not
// numeric, each with why (its first cell that is no number, or its Parquet type), as one
// line: "tsfill: note: not value columns (not numeric): 'v' (in.csv, row 3 (line 4): 'abc'
// is not a number), ...; name a column in --values to make such a cell an error".
void note_columns_left_out(const std::vector<std::pair<std::string, std::string>>& not_numeric);
// The same text without the "tsfill: note: " prefix (empty when none), for other front
// ends (the Python module warns with it).
std::string columns_left_out_text(
    const std::vector<std::pair<std::string, std::string>>& not_numeric);

}  // namespace tsfill_cli
