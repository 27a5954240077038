// The --stats summary: one screen on stderr.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <tsfill/tsfill.hpp>

#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "table.hpp"

namespace tsfill_cli {

// `expected` (a session grid's slot counts) makes the uniformity line check them too.
void print_stats(const job_spec& o, const loaded_table& t, const tsfill::result& r,
                 const std::vector<std::pair<std::string, double>>& stage_seconds,
                 const expected_slots_fn& expected = {});

}  // namespace tsfill_cli
