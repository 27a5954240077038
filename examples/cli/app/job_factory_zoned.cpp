// The job factory's zoned half: local-day partitions, local or calendar slots, session
// grids. A separate file from job_factory.cpp so the two sets of instantiations compile in
// parallel, and so a build without the calendar component still builds the rest.
#include <chrono>
#include <optional>
#include <type_traits>

#include "../calendar_options.hpp"
#include "cli_error.hpp"
#include "job_dispatch.hpp"
#include "job_factory.hpp"

namespace tsfill_cli {

#ifdef TSFILL_CLI_HAVE_CALENDAR

namespace {

// --slot DUR in local time, or --slot 1w|1mo|1q|1y: one slot policy type for both, so the
// dispatch below does not double.
struct zoned_slot {
  std::optional<tsfill::slot::local> local;
  tsfill::slot::calendar calendar;

  tsfill::slot::calendar::function bind(tsfill::tick_period p) const {
    if (local) return tsfill::slot::calendar::function(local->bind(p));
    return calendar.bind(p);
  }
};

zoned_slot slot_of(const job_spec& o, const tsfill::time_zone& zone) {
  zoned_slot s;
  switch (o.slot_unit) {
    case calendar_slot::none:
      s.local =
          tsfill::slot::local{tsfill::exact_duration(std::chrono::nanoseconds(o.slot_ns)), zone};
      return s;
    case calendar_slot::week:
      s.calendar = {tsfill::slot::calendar_unit::week, zone,
                    std::chrono::weekday{static_cast<unsigned>(o.week_start)}};
      return s;
    case calendar_slot::month:
      s.calendar = {tsfill::slot::calendar_unit::month, zone};
      return s;
    case calendar_slot::quarter:
      s.calendar = {tsfill::slot::calendar_unit::quarter, zone};
      return s;
    case calendar_slot::year:
      s.calendar = {tsfill::slot::calendar_unit::year, zone};
      return s;
  }
  return s;
}

}  // namespace

job make_zoned_job(const job_spec& o) {
  const tsfill::time_zone zone = zone_of(o);
  const zoned_slot slot = slot_of(o, zone);
  std::optional<job> out;

  auto make = [&](auto partition, auto dedup, auto grid, expected_slots_fn expected) {
    const tsfill::pipeline<zoned_slot, decltype(partition), decltype(dedup), decltype(grid),
                           tsfill::fill::any>
        pipeline{slot, partition, dedup, grid, tsfill::fill::any{}};
    out.emplace(
        o,
        [pipeline](const tsfill::table_view<>& input, std::span<const tsfill::fill::any> fills,
                   const tsfill::run_options& run) { return pipeline.run(input, fills, run); },
        std::move(expected));
  };
  auto with_grid = [&](auto partition, auto dedup) {
    if (o.grid != grid_kind::session)
      return with_data_grid(o, [&](auto grid) { make(partition, dedup, grid, {}); });
    if constexpr (std::is_same_v<decltype(partition), tsfill::partition::local_day>) {
      const tsfill::grid::session grid{calendar_of(o), zone, tsfill::key_scope::partition,
                                       o.keep_outside_session
                                           ? tsfill::grid::outside_session::keep
                                           : tsfill::grid::outside_session::drop};
      make(partition, dedup, grid, grid.expected_slots(slot));
    } else {
      throw flag_error("--grid", "a session grid needs --partition day");
    }
  };
  with_dedup(o.dedup, [&](auto dedup) {
    if (o.partition_by_day)
      with_grid(tsfill::partition::local_day{zone}, dedup);
    else
      with_grid(tsfill::partition::none{}, dedup);
  });
  return std::move(*out);
}

#else

job make_zoned_job(const job_spec&) {
  throw flag_error("--tz", "needs the calendar component, which this build of tsfill lacks");
}

#endif

}  // namespace tsfill_cli
