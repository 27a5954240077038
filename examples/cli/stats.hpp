// The --stats summary: one screen on stderr.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <tsfill/tsfill.hpp>

#include "table.hpp"

namespace tsfill_cli {

void print_stats(const loaded_table& t, const tsfill::result& r,
                 const std::vector<std::pair<std::string, double>>& stage_seconds);

}  // namespace tsfill_cli
