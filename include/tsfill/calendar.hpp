// The tsfill::calendar component: time zones, local and calendar slots, local-day
// partitions, trading calendars and session grids. Needs Howard Hinnant's date/tz.h and the
// system tz database; link tsfill::calendar (find_package(tsfill CONFIG REQUIRED COMPONENTS
// calendar)).
#pragma once

#include <tsfill/calendar/local_time.hpp>
#include <tsfill/calendar/session_grid.hpp>
#include <tsfill/calendar/time_zone.hpp>
#include <tsfill/calendar/trading_calendar.hpp>
