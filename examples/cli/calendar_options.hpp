// The calendar flags (--tz, --slot 1w|1mo|1q|1y, --week-start, --grid session:HH:MM-HH:MM,
// --calendar, --keep-outside-session) turned into the calendar component's objects. A build
// without the component (no date/tz.h) refuses these flags with a clear message.
#pragma once

#include <memory>

#include "app/job_spec.hpp"
#include "timefmt.hpp"

#ifdef TSFILL_CLI_HAVE_CALENDAR
#include <tsfill/calendar.hpp>
#endif

namespace tsfill_cli {

// Checks the calendar flags of a zoned job (zone name, session hours, calendar files) and
// returns the --tz zone's offsets for writing local times (null without --tz).
std::shared_ptr<const tsfill::zone_offsets> check_calendar_options(const job_spec& o);

#ifdef TSFILL_CLI_HAVE_CALENDAR
// The --tz zone, UTC without one.
tsfill::time_zone zone_of(const job_spec& o);

// The session calendar: --grid session's hours on every day; --calendar weekdays keeps
// Monday to Friday; --calendar nyse applies NYSE holidays and early closes; every other
// --calendar names a CSV of exceptions (date,open,close or date,closed) applied on top.
tsfill::calendar::trading_calendar calendar_of(const job_spec& o);
#endif

}  // namespace tsfill_cli
