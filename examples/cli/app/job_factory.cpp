// The job factory's UTC half (fixed slots, UTC days or no partitions), the run wrappers,
// and the per-column fills. See job_factory.hpp.
#include "job_factory.hpp"

#include <chrono>
#include <string>

#include "cli_error.hpp"
#include "job_dispatch.hpp"

namespace tsfill_cli {
namespace {

using ns = std::chrono::nanoseconds;

tsfill::fill::any make_fill(const job_spec& o, const fill_spec& f) {
  const auto area = static_cast<tsfill::limit_area>(static_cast<int>(o.area));
  std::optional<tsfill::exact_duration> age;
  if (o.max_age_ns) age = ns(*o.max_age_ns);
  const tsfill::axis by = f.by_time ? tsfill::axis::time : tsfill::axis::slot;
  switch (f.method) {
    case fill_method::forward:
      return tsfill::fill::forward{o.limit, age, area, o.all_or_nothing, o.carry_in};
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
void with_partition(const job_spec& o, F&& f) {
  if (o.partition_by_day) return f(tsfill::partition::utc_day{});
  return f(tsfill::partition::none{});
}

}  // namespace

std::vector<tsfill::fill::any> column_fills(const job_spec& o,
                                            const std::vector<std::string>& value_names) {
  std::vector<tsfill::fill::any> fills;
  std::vector<bool> used(o.fill_for.size(), false);
  for (const std::string& name : value_names) {
    const fill_spec* spec = &o.fill;
    for (std::size_t p = 0; p < o.fill_for.size(); ++p) {
      if (glob_match(o.fill_for[p].first, name)) {
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

job make_job(const job_spec& o) {
  if (o.zoned()) return make_zoned_job(o);
  // UTC days and fixed slots: the fast path.
  std::optional<job> out;
  with_partition(o, [&](auto partition) {
    with_dedup(o.dedup, [&](auto dedup) {
      with_data_grid(o, [&](auto grid) {
        const tsfill::pipeline<tsfill::slot::fixed, decltype(partition), decltype(dedup),
                               decltype(grid), tsfill::fill::any>
            pipeline{tsfill::slot::fixed{ns(o.slot_ns)}, partition, dedup, grid,
                     tsfill::fill::any{}};
        out.emplace(
            o,
            [pipeline](const tsfill::table_view<>& input, std::span<const tsfill::fill::any> fills,
                       const tsfill::run_options& run) { return pipeline.run(input, fills, run); },
            expected_slots_fn{});
      });
    });
  });
  return std::move(*out);
}

tsfill::result job::run(const tsfill::table_view<>& input, tsfill::run_options batch) const {
  std::vector<std::string> names;
  for (const tsfill::value_column& v : input.values) names.push_back(v.name());
  const std::vector<tsfill::fill::any> fills = column_fills(options_, names);
  batch.nan_is_null = options_.nan_is_null;
  batch.threads = options_.threads;
  batch.max_bytes = options_.max_memory;
  batch.source_times = options_.provenance.from;
  batch.keep_original = options_.keep_original;
  try {
    return run_(input, fills, batch);
  } catch (const tsfill::resource_error& e) {  // the limit is a flag's (or its default)
    throw flag_error("--max-memory",
                     without_prefix(e.what()) + " (the limit: " + options_.max_memory_text + ")");
  }
}

tsfill::result job::run(const loaded_table& t, tsfill::run_options batch) const {
  try {
    return run(t.view(), batch);
  } catch (const tsfill::duplicate_error& e) {
    throw cli_error("--dedup reject: " + t.describe_row(e.first_row) + " and " +
                    t.describe_row(e.second_row) + " fall into the same slot for the same key");
  } catch (const tsfill::error& e) {
    throw cli_error(without_prefix(e.what()));
  }
}

}  // namespace tsfill_cli
