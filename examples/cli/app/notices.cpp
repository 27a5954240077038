#include "notices.hpp"

#include <cstdio>
#include <set>

#include "cli_error.hpp"

namespace tsfill_cli {

std::string columns_left_out_text(
    const std::vector<std::pair<std::string, std::string>>& not_numeric) {
  if (not_numeric.empty()) return {};
  constexpr std::size_t shown = 8;
  std::set<std::string> named;
  std::string list;
  std::size_t more = 0;
  for (const auto& [column, why] : not_numeric) {
    if (!named.insert(column).second) continue;  // the first reason of each column
    if (named.size() > shown) {
      ++more;
      continue;
    }
    list += (list.empty() ? "" : ", ") + tsfill_io::shown_cell(column) + " (" + why + ")";
  }
  if (more) list += " and " + std::to_string(more) + " more";
  return "not value columns (not numeric): " + tsfill_io::printable(list) +
         "; name a column in --values to make such a cell an error";
}

void note_columns_left_out(const std::vector<std::pair<std::string, std::string>>& not_numeric) {
  const std::string text = columns_left_out_text(not_numeric);
  if (!text.empty()) std::fprintf(stderr, "tsfill: note: %s\n", text.c_str());
}

}  // namespace tsfill_cli
