#include "calendar_options.hpp"

#include <string>

#include "cli_error.hpp"

namespace tsfill_cli {

#ifdef TSFILL_CLI_HAVE_CALENDAR

namespace {

// The library's message without its "tsfill: " prefix, under the flag's name.
cli_error flag_error_from(const std::string& flag, const tsfill::error& e) {
  return flag_error(flag, without_prefix(e.what()));
}

}  // namespace

tsfill::time_zone zone_of(const job_spec& o) {
  if (o.tz.empty()) return tsfill::time_zone::utc();
  try {
    return tsfill::time_zone(o.tz);
  } catch (const tsfill::error& e) {
    throw flag_error_from("--tz", e);
  }
}

tsfill::calendar::trading_calendar calendar_of(const job_spec& o) {
  using tsfill::calendar::trading_calendar;
  tsfill::calendar::session_hours hours;
  try {
    hours = tsfill::calendar::session_hours::parse(o.session, "session");
  } catch (const tsfill::error& e) {
    throw flag_error_from("--grid", e);
  }
  trading_calendar::rules rules = trading_calendar::rules::every_day;
  bool have_rules = false;
  for (const std::string& c : o.calendars) {
    if (c != "nyse" && c != "weekdays") continue;
    if (have_rules)
      throw flag_error("--calendar", "give one of nyse and weekdays, not both (or one twice)");
    have_rules = true;
    rules = c == "nyse" ? trading_calendar::rules::nyse : trading_calendar::rules::weekdays;
  }
  trading_calendar cal(hours, rules);
  for (const std::string& c : o.calendars) {
    if (c == "nyse" || c == "weekdays") continue;
    try {
      cal.add_exceptions_from(c);
    } catch (const tsfill::error& e) {
      throw flag_error_from("--calendar", e);
    }
  }
  return cal;
}

std::shared_ptr<const tsfill::zone_offsets> check_calendar_options(const job_spec& o) {
  const tsfill::time_zone zone = zone_of(o);
  if (o.grid == grid_kind::session) (void)calendar_of(o);
  if (o.tz.empty()) return nullptr;
  return std::make_shared<const tsfill::zone_offsets>(zone.offsets());
}

#else

std::shared_ptr<const tsfill::zone_offsets> check_calendar_options(const job_spec& o) {
  const char* flag = !o.tz.empty()                        ? "--tz"
                     : o.slot_unit != calendar_slot::none ? "--slot"
                                                          : "--grid";
  throw flag_error(flag,
                   "needs the calendar component, which this build of tsfill lacks (install "
                   "libhowardhinnant-date-dev and tzdata, then rebuild)");
}

#endif

}  // namespace tsfill_cli
