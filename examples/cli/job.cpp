#include "job.hpp"

#include <chrono>
#include <string>

#include "cli_error.hpp"

namespace tsfill_cli {
namespace {

using ns = std::chrono::nanoseconds;

tsfill::fill::any make_fill(const job_options& o, const fill_spec& f) {
  const auto area = static_cast<tsfill::limit_area>(static_cast<int>(o.area));
  std::optional<tsfill::exact_duration> age;
  if (o.max_age_ns) age = ns(*o.max_age_ns);
  const tsfill::axis by = f.by_time ? tsfill::axis::time : tsfill::axis::slot;
  switch (f.method) {
    case fill_method::forward:
      return tsfill::fill::forward{o.limit, age, area, o.all_or_nothing};
    case fill_method::backward:
      return tsfill::fill::backward{o.limit, age, area, o.all_or_nothing};
    case fill_method::linear:
      return tsfill::fill::linear{by, o.limit, age, area, o.all_or_nothing};
    case fill_method::nearest:
      return tsfill::fill::nearest{by, o.limit, age, area, o.all_or_nothing};
    case fill_method::constant:
      return tsfill::fill::constant{f.constant, o.limit, area, o.all_or_nothing};
    case fill_method::none:
      return tsfill::fill::none{};
  }
  return {};
}

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

template <class F>
void with_grid(const job_options& o, F&& f) {
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
  throw flag_error("--grid", "session grids are not supported by this build");
}

template <class F>
void with_partition(const job_options& o, F&& f) {
  if (o.partition_by_day) return f(tsfill::partition::utc_day{});
  return f(tsfill::partition::none{});
}

}  // namespace

std::vector<tsfill::fill::any> column_fills(const job_options& o, const loaded_table& t) {
  std::vector<tsfill::fill::any> fills;
  std::vector<bool> used(o.fill_for.size(), false);
  for (const loaded_value& v : t.values) {
    const fill_spec* spec = &o.fill;
    for (std::size_t p = 0; p < o.fill_for.size(); ++p) {
      if (glob_match(o.fill_for[p].first, v.name)) {
        spec = &o.fill_for[p].second;
        used[p] = true;
        break;
      }
    }
    fills.push_back(make_fill(o, *spec));
  }
  for (std::size_t p = 0; p < o.fill_for.size(); ++p)
    if (!used[p])
      throw flag_error("--fill", "'" + o.fill_for[p].first + "' matches no value column");
  return fills;
}

tsfill::result run_job(const job_options& o, const loaded_table& t) {
  const tsfill::table_view<> input = t.view();
  const std::vector<tsfill::fill::any> fills = column_fills(o, t);
  tsfill::run_options run;
  run.nan_is_null = o.nan_is_null;
  std::optional<tsfill::result> out;
  try {
    with_partition(o, [&](auto partition) {
      with_dedup(o.dedup, [&](auto dedup) {
        with_grid(o, [&](auto grid) {
          const tsfill::pipeline<tsfill::slot::fixed, decltype(partition), decltype(dedup),
                                 decltype(grid), tsfill::fill::any>
              job{tsfill::slot::fixed{ns(o.slot_ns)}, partition, dedup, grid, tsfill::fill::any{}};
          out = job.run(input, std::span<const tsfill::fill::any>(fills), run);
        });
      });
    });
  } catch (const tsfill::duplicate_error& e) {
    throw cli_error("--dedup reject: " + t.describe_row(e.first_row) + " and " +
                    t.describe_row(e.second_row) + " fall into the same slot for the same key");
  } catch (const tsfill::error& e) {
    std::string what = e.what();
    if (what.rfind("tsfill: ", 0) == 0) what = what.substr(8);
    throw cli_error(what);
  }
  return std::move(*out);
}

}  // namespace tsfill_cli
