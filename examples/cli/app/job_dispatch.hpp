// How the job factory turns runtime flags into compile-time policies: each helper calls `f`
// with the policy object the flag names, so each combination is one pipeline instantiation.
#pragma once

#include <chrono>
#include <string>

#include <tsfill/tsfill.hpp>

#include "cli_error.hpp"
#include "job_spec.hpp"

namespace tsfill_cli {

template <class F>
void with_dedup(const std::string& d, F&& f) {
  namespace dd = tsfill::dedup;
  if (d == "last") return f(dd::last{});
  if (d == "first") return f(dd::first{});
  if (d == "last-valid") return f(dd::last_valid{});
  if (d == "first-valid") return f(dd::first_valid{});
  if (d == "mean") return f(dd::mean{});
  if (d == "min") return f(dd::min{});
  if (d == "max") return f(dd::max{});
  if (d == "sum") return f(dd::sum{});
  if (d == "count") return f(dd::count{});
  if (d == "reject") return f(dd::reject{});
  throw flag_error("--dedup", "unknown dedup '" + d + "'");
}

// The grids that come from the data (every --grid but session).
template <class F>
void with_data_grid(const job_spec& o, F&& f) {
  using ns = std::chrono::nanoseconds;
  switch (o.grid) {
    case grid_kind::partition:
      return f(tsfill::grid::partition_span{});
    case grid_kind::key:
      return f(tsfill::grid::key_span{});
    case grid_kind::observed:
      return f(tsfill::grid::observed{});
    case grid_kind::range:
      return f(tsfill::grid::range{tsfill::instant(tsfill::exact_duration(ns(o.range_start_ns))),
                                   tsfill::instant(tsfill::exact_duration(ns(o.range_end_ns)))});
    case grid_kind::session:
      break;
  }
  throw flag_error("--grid", "a session grid needs the calendar component");
}

}  // namespace tsfill_cli
