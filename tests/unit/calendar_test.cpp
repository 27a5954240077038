// The calendar component: local slots and days across every DST transition of 2013 and
// 2024 in New York and London, calendar slots, NYSE sessions, session grids.
#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/calendar.hpp>
#include <tsfill/tsfill.hpp>

#include "../support/table.hpp"

namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using tsfill_test::owned_table;

constexpr std::int64_t s_ns = 1'000'000'000;

std::int64_t utc_ns(sys_seconds t) {
  return t.time_since_epoch().count() * s_ns;
}
std::int64_t day_of(year_month_day d) {
  return sys_days{d}.time_since_epoch().count();
}

// Slot starts of a whole local day under local slots of `width`, via a whole-day session.
std::vector<std::int64_t> day_slots(const tsfill::time_zone& z, year_month_day d, minutes width) {
  // One row at local noon puts the day in the data; the session grid gives all its slots.
  const std::int64_t noon = z.to_utc(day_of(d) * 86'400 + 12 * 3600) * s_ns;
  owned_table<> t({noon});
  t.value<double>("v", {1.0});
  tsfill::pipeline<tsfill::slot::local, tsfill::partition::local_day, tsfill::dedup::last,
                   tsfill::grid::session>
      job{.slot = {width, z},
          .partition = {z},
          .grid = {tsfill::calendar::trading_calendar(tsfill::calendar::session_hours{0, 24 * 60}),
                   z}};
  // Weekends included: a calendar with every day open.
  tsfill::calendar::trading_calendar every_day({0, 24 * 60});
  for (int k = -3; k <= 3; ++k)
    every_day.set(sys_days{d} + days{k}, tsfill::calendar::session_hours{0, 24 * 60});
  job.grid.calendar = every_day;
  const tsfill::result r = job.run(t.view());
  return {r.slot_times().begin(), r.slot_times().end()};
}

struct transition {
  const char* zone;
  year_month_day day;
  int hourly_slots;
};

TEST(calendar, every_dst_transition_of_2013_and_2024_in_new_york_and_london) {
  const transition cases[] = {
      {"America/New_York", 2013y / March / 10, 23}, {"America/New_York", 2013y / November / 3, 25},
      {"America/New_York", 2024y / March / 10, 23}, {"America/New_York", 2024y / November / 3, 25},
      {"Europe/London", 2013y / March / 31, 23},    {"Europe/London", 2013y / October / 27, 25},
      {"Europe/London", 2024y / March / 31, 23},    {"Europe/London", 2024y / October / 27, 25},
  };
  for (const transition& c : cases) {
    const tsfill::time_zone z(c.zone);
    const auto hourly = day_slots(z, c.day, 60min);
    EXPECT_EQ(hourly.size(), static_cast<std::size_t>(c.hourly_slots)) << c.zone;
    const auto half = day_slots(z, c.day, 30min);
    EXPECT_EQ(half.size(), static_cast<std::size_t>(2 * c.hourly_slots)) << c.zone;
    // Slots are in UTC order, one slot apart (DST moves the clock, not the elapsed time),
    // and the day starts at local midnight.
    for (std::size_t i = 1; i < half.size(); ++i)
      EXPECT_EQ(half[i] - half[i - 1], 1800 * s_ns) << c.zone;
    EXPECT_EQ(half.front(), z.to_utc(day_of(c.day) * 86'400) * s_ns);
    // The days around it have 24 hours.
    EXPECT_EQ(day_slots(z, year_month_day{sys_days{c.day} - days{1}}, 60min).size(), 24U) << c.zone;
    EXPECT_EQ(day_slots(z, year_month_day{sys_days{c.day} + days{1}}, 60min).size(), 24U) << c.zone;
  }
}

TEST(calendar, the_repeated_hour_keeps_both_instances_in_order) {
  const tsfill::time_zone ny("America/New_York");
  const auto slots = day_slots(ny, 2024y / November / 3, 30min);
  ASSERT_EQ(slots.size(), 50U);
  // Local 01:00 EDT is 05:00 UTC, local 01:00 EST is 06:00 UTC: both are slot starts.
  const std::int64_t edt = utc_ns(sys_days{2024y / November / 3} + 5h),
                     est = utc_ns(sys_days{2024y / November / 3} + 6h);
  EXPECT_NE(std::find(slots.begin(), slots.end(), edt), slots.end());
  EXPECT_NE(std::find(slots.begin(), slots.end(), est), slots.end());
}

TEST(calendar, a_skipped_boundary_starts_its_slot_when_the_clock_jumps) {
  // 40-minute slots in New York on 2024-03-10: 01:20 EST, then 02:00 and 02:40 are skipped;
  // their slot starts at 03:00 EDT (07:00 UTC), then 03:20 EDT as usual.
  const tsfill::time_zone ny("America/New_York");
  const auto s = day_slots(ny, 2024y / March / 10, 40min);
  ASSERT_EQ(s.size(), 35U);  // 00:00, 00:40, 01:20, 03:00, then 03:20 ... 23:20
  EXPECT_EQ(s[2], utc_ns(sys_days{2024y / March / 10} + 6h + 20min));
  EXPECT_EQ(s[3], utc_ns(sys_days{2024y / March / 10} + 7h));
  EXPECT_EQ(s[4], utc_ns(sys_days{2024y / March / 10} + 7h + 20min));
  // Havana skipped midnight on 2013-03-10 (00:00 CST -> 01:00 CDT): the local day still has
  // its daily slot, from 01:00 CDT (05:00 UTC), 23 hours long.
  const tsfill::time_zone havana("America/Havana");
  const auto day = tsfill::slot::local{24h, havana}.bind(tsfill::tick_period::of<nanoseconds>());
  const std::int64_t noon = utc_ns(sys_days{2013y / March / 10} + 16h);
  const std::int64_t o = day.ordinal(noon);
  EXPECT_EQ(day.start(o), utc_ns(sys_days{2013y / March / 10} + 5h));
  EXPECT_EQ(day.start(o + 1) - day.start(o), 23 * 3600 * s_ns);
  EXPECT_EQ(day.start(o) - day.start(o - 1), 24 * 3600 * s_ns);
  EXPECT_EQ(day.ordinal(day.start(o) - 1), o - 1);
  const auto part =
      tsfill::partition::local_day{havana}.bind(tsfill::tick_period::of<nanoseconds>());
  EXPECT_EQ(part.begin(day_of(2013y / March / 10)), day.start(o));
}

// Every local slot boundary near UTC second t, by brute force: each local multiple's
// instants (two in a repeated hour, the jump's end in a skipped one).
std::vector<std::int64_t> boundaries_near(const tsfill::time_zone& z, std::int64_t t,
                                          std::int64_t width, std::int64_t origin) {
  const auto iv = z.intervals();
  std::vector<std::int64_t> out;
  const std::int64_t k0 = tsfill::detail::floor_div(t - 2 * 86'400 - origin, width) - 1;
  const std::int64_t k1 = tsfill::detail::floor_div(t + 2 * 86'400 - origin, width) + 1;
  for (std::int64_t k = k0; k <= k1; ++k) {
    const std::int64_t wall = origin + k * width;
    bool found = false;
    for (std::size_t i = 0; i < iv.size(); ++i) {
      const std::int64_t u = wall - iv[i].offset;
      const std::int64_t end = i + 1 < iv.size() ? iv[i + 1].begin : INT64_MAX;
      if ((i == 0 || u >= iv[i].begin) && u < end) out.push_back(u), found = true;
    }
    if (!found) out.push_back(z.to_utc(wall));  // skipped: where the jump ends
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TEST(calendar, local_slots_match_a_brute_force_enumeration_near_every_kind_of_transition) {
  // Zones with forward and backward jumps of an hour, half an hour (Lord Howe), midnight
  // jumps (Havana), a skipped calendar day (Apia, 2011-12-30) and odd offsets (Kathmandu).
  const char* zones[] = {"America/New_York",    "Europe/London", "America/Havana",
                         "Australia/Lord_Howe", "Pacific/Apia",  "Asia/Kathmandu"};
  const std::int64_t widths[] = {900, 1800, 2400, 2700, 3600, 5400, 7 * 3600, 86'400, 2 * 86'400};
  std::mt19937_64 rng(7);
  int checked = 0;
  for (const char* name : zones) {
    const tsfill::time_zone z(name);
    const auto iv = z.intervals();
    // Transitions between 1970 and 2030.
    std::vector<std::int64_t> jumps;
    for (std::size_t i = 1; i < iv.size(); ++i)
      if (iv[i].begin > 0 && iv[i].begin < 1'893'456'000) jumps.push_back(iv[i].begin);
    ASSERT_FALSE(jumps.empty()) << name;
    for (int c = 0; c < 400; ++c) {
      const std::int64_t width = widths[rng() % std::size(widths)];
      const std::int64_t origin = (rng() % 4 == 0) ? static_cast<std::int64_t>(rng() % 3600) : 0;
      const std::int64_t t =
          jumps[rng() % jumps.size()] + static_cast<std::int64_t>(rng() % (6 * 3600)) - 3 * 3600;
      const auto f = tsfill::slot::local{seconds(width), z, seconds(origin)}.bind(
          tsfill::tick_period::of<seconds>());
      const std::vector<std::int64_t> b = boundaries_near(z, t, width, origin);
      const auto after = std::upper_bound(b.begin(), b.end(), t);
      ASSERT_TRUE(after != b.begin() && after != b.end());
      const std::int64_t o = f.ordinal(t);
      ASSERT_EQ(f.start(o), *(after - 1))
          << name << " width " << width << " origin " << origin << " t " << t;
      ASSERT_EQ(f.start(o + 1), *after) << name << " width " << width << " t " << t;
      ASSERT_EQ(f.ordinal(*(after - 1)), o) << name << " width " << width << " t " << t;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2400);
}

TEST(calendar, local_slots_align_to_local_midnight_in_half_hour_zones) {
  // Kolkata is UTC+05:30: hourly local slots start at :30 UTC.
  const tsfill::time_zone z("Asia/Kolkata");
  const auto s = tsfill::slot::local{1h, z}.bind(tsfill::tick_period::of<nanoseconds>());
  const std::int64_t t = utc_ns(sys_days{2024y / January / 15} + 10h + 7min);  // 15:37 local
  EXPECT_EQ(s.start(s.ordinal(t)), utc_ns(sys_days{2024y / January / 15} + 9h + 30min));
}

TEST(calendar, local_days_and_the_leap_day) {
  const tsfill::time_zone ny("America/New_York");
  const auto p = tsfill::partition::local_day{ny}.bind(tsfill::tick_period::of<nanoseconds>());
  // 2024-03-01 03:00 UTC is still 2024-02-29 in New York.
  const std::int64_t t = utc_ns(sys_days{2024y / March / 1} + 3h);
  EXPECT_EQ(p.id(t), day_of(2024y / February / 29));
  EXPECT_EQ(p.begin(p.id(t)), utc_ns(sys_days{2024y / February / 29} + 5h));
  EXPECT_EQ(p.end(day_of(2024y / March / 9)) - p.begin(day_of(2024y / March / 9)),
            24 * 3600 * s_ns);
  EXPECT_EQ(p.end(day_of(2024y / March / 10)) - p.begin(day_of(2024y / March / 10)),
            23 * 3600 * s_ns);
  EXPECT_EQ(p.end(day_of(2024y / November / 3)) - p.begin(day_of(2024y / November / 3)),
            25 * 3600 * s_ns);
}

TEST(calendar, calendar_slots) {
  const tsfill::time_zone ny("America/New_York");
  const auto ns = tsfill::tick_period::of<nanoseconds>();
  const auto month = tsfill::slot::calendar{tsfill::slot::calendar_unit::month, ny}.bind(ns);
  const std::int64_t t = utc_ns(sys_days{2024y / March / 1} + 3h);  // Feb 29 local
  EXPECT_EQ(month.start(month.ordinal(t)), utc_ns(sys_days{2024y / February / 1} + 5h));
  EXPECT_EQ(month.start(month.ordinal(t) + 1), utc_ns(sys_days{2024y / March / 1} + 5h));
  EXPECT_EQ(month.start(month.ordinal(t) + 2), utc_ns(sys_days{2024y / April / 1} + 4h));  // EDT
  const auto quarter = tsfill::slot::calendar{tsfill::slot::calendar_unit::quarter, ny}.bind(ns);
  EXPECT_EQ(quarter.start(quarter.ordinal(t)), utc_ns(sys_days{2024y / January / 1} + 5h));
  const auto week = tsfill::slot::calendar{tsfill::slot::calendar_unit::week, ny, Monday}.bind(ns);
  EXPECT_EQ(week.start(week.ordinal(t)), utc_ns(sys_days{2024y / February / 26} + 5h));  // Monday
  const auto sunday =
      tsfill::slot::calendar{tsfill::slot::calendar_unit::week, ny, Sunday}.bind(ns);
  EXPECT_EQ(sunday.start(sunday.ordinal(t)), utc_ns(sys_days{2024y / February / 25} + 5h));
  // Before 1970 too.
  const std::int64_t old = utc_ns(sys_days{1969y / July / 20} + 20h);
  EXPECT_EQ(month.start(month.ordinal(old)), utc_ns(sys_days{1969y / July / 1} + 4h));
}

TEST(calendar, nyse_2024_has_252_sessions_and_3_early_closes) {
  for (const int y : {2013, 2024}) {
    const auto cal = tsfill::calendar::trading_calendar::nyse();
    int sessions = 0, early = 0;
    for (sys_days d{year{y} / January / 1}; d <= sys_days{year{y} / December / 31}; d += days{1}) {
      const auto s = cal.session(d);
      sessions += s.has_value();
      early += s && s->close == 13 * 60;
    }
    EXPECT_EQ(sessions, 252) << y;
    EXPECT_EQ(early, 3) << y;
  }
  const auto cal = tsfill::calendar::trading_calendar::nyse();
  for (const auto d : {2024y / January / 1, 2024y / January / 15, 2024y / February / 19,
                       2024y / March / 29, 2024y / May / 27, 2024y / June / 19, 2024y / July / 4,
                       2024y / September / 2, 2024y / November / 28, 2024y / December / 25})
    EXPECT_FALSE(cal.session(sys_days{d}))
        << static_cast<int>(d.year()) << "-" << static_cast<unsigned>(d.month());
  EXPECT_EQ(cal.session(sys_days{2024y / July / 3})->close, 13 * 60);
  EXPECT_EQ(cal.session(sys_days{2024y / November / 29})->close, 13 * 60);
  EXPECT_EQ(cal.session(sys_days{2024y / December / 24})->close, 13 * 60);
  EXPECT_EQ(tsfill::calendar::trading_calendar::easter(2024), sys_days{2024y / March / 31});
}

TEST(calendar, session_grid_slots_holidays_and_rows_outside) {
  const tsfill::time_zone ny("America/New_York");
  auto at = [&](year_month_day d, hours h, minutes m) {
    return ny.to_utc(day_of(d) * 86'400 + (h + m).count() * 60) * s_ns;
  };
  // A normal day, an early close, a holiday, and a pre-market row.
  owned_table<> t({at(2024y / July / 2, 10h, 5min), at(2024y / July / 2, 8h, 0min),
                   at(2024y / July / 3, 9h, 45min), at(2024y / July / 4, 11h, 0min)});
  t.key("k", {1, 1, 1, 1}).value<double>("v", {1, 2, 3, 4});
  const tsfill::pipeline<tsfill::slot::local, tsfill::partition::local_day, tsfill::dedup::last,
                         tsfill::grid::session>
      job{.slot = {30min, ny},
          .partition = {ny},
          .grid = {tsfill::calendar::trading_calendar::nyse(), ny}};
  const tsfill::result r = job.run(t.view());
  ASSERT_EQ(r.segments().size(), 2U);          // July 4: no partition at all
  EXPECT_EQ(r.segments()[0].size, 13U);        // 09:30-16:00
  EXPECT_EQ(r.segments()[1].size, 7U);         // 09:30-13:00
  EXPECT_EQ(r.stats().rows_outside_grid, 2U);  // 08:00 pre-market, and the holiday's row
  EXPECT_EQ(r.slot_times()[0], at(2024y / July / 2, 9h, 30min));
  // Keep rows outside the session: the day widens to cover them.
  auto keep = job;
  keep.grid.outside = tsfill::grid::outside_session::keep;
  EXPECT_EQ(keep.run(t.view()).segments()[0].size, 16U);  // 08:00-16:00
}

TEST(calendar, session_grids_are_uniform_with_the_expected_slot_counts) {
  const tsfill::time_zone ny("America/New_York");
  auto at = [&](year_month_day d, hours h) {
    return ny.to_utc(day_of(d) * 86'400 + h.count() * 3600) * s_ns;
  };
  // Two keys on a normal day and an early close; key 2 only seen late on July 3.
  owned_table<> t(
      {at(2024y / July / 2, 10h), at(2024y / July / 2, 15h), at(2024y / July / 3, 12h)});
  t.key("k", {1, 2, 2}).value<double>("v", {1, 2, 3});
  const tsfill::grid::session grid{tsfill::calendar::trading_calendar::nyse(), ny};
  const tsfill::slot::local slot{30min, ny};
  const tsfill::pipeline<tsfill::slot::local, tsfill::partition::local_day, tsfill::dedup::last,
                         tsfill::grid::session>
      job{.slot = slot, .partition = {ny}, .grid = grid};
  const tsfill::result r = job.run(t.view());
  const auto expected = grid.expected_slots(slot);
  EXPECT_EQ(expected(day_of(2024y / July / 2)), 13U);
  EXPECT_EQ(expected(day_of(2024y / July / 3)), 7U);
  EXPECT_EQ(expected(day_of(2024y / July / 4)), std::nullopt);  // a holiday: no session
  const tsfill::uniformity_report report = tsfill::check_uniform(r, expected);
  EXPECT_EQ(report.partitions, 2U);
  EXPECT_TRUE(report.uniform());
  // The same rows with one session hour shorter than promised: the check lists both dates.
  const auto wrong = [&](std::int64_t day) -> std::optional<std::size_t> {
    return *expected(day) + 1;
  };
  const tsfill::uniformity_report bad = tsfill::check_uniform(r, wrong);
  ASSERT_EQ(bad.problems.size(), 2U);
  EXPECT_EQ(bad.problems[0].partition, day_of(2024y / July / 2));
  EXPECT_EQ(bad.problems[0].min_slots, 13U);
  EXPECT_EQ(bad.problems[0].expected, 14U);
}

TEST(calendar, errors_name_the_problem) {
  EXPECT_THROW(tsfill::time_zone("Mars/Olympus"), tsfill::invalid_argument);
  owned_table<> t({0});
  const tsfill::time_zone ny("America/New_York");
  // A session grid over UTC-day partitions would be wrong: refused.
  const tsfill::pipeline<tsfill::slot::local, tsfill::partition::utc_day, tsfill::dedup::last,
                         tsfill::grid::session>
      bad{.slot = {30min, ny}, .grid = {tsfill::calendar::trading_calendar::nyse(), ny}};
  try {
    (void)bad.run(t.view());
    ADD_FAILURE();
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("partition::local_day{America/New_York}"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(tsfill::calendar::session_hours::parse("16:00-09:30"), tsfill::invalid_argument);
  owned_table<std::chrono::minutes> m({0});
  EXPECT_THROW((void)(tsfill::pipeline<tsfill::slot::local>{.slot = {30min, ny}}.run(m.view())),
               tsfill::invalid_argument);
}

}  // namespace

TEST(calendar, threads_give_the_same_result_on_large_shuffled_zoned_input) {
  // Over a million rows (so rows are indexed in parallel blocks), shuffled (so they are
  // reordered by local day), around the March 2024 DST change in New York.
  const tsfill::time_zone ny("America/New_York");
  const std::int64_t start = day_of(2024y / March / 1) * 86'400 * s_ns;
  std::mt19937_64 rng(42);
  const std::size_t n = 1'300'000;
  std::vector<std::int64_t> ts(n), key(n);
  std::vector<std::optional<double>> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    ts[i] = start + static_cast<std::int64_t>(rng() % (20ULL * 86'400)) * s_ns;
    key[i] = static_cast<std::int64_t>(rng() % 40);
    if (rng() % 10 != 0) v[i] = static_cast<double>(i);
  }
  owned_table<> t(ts);
  t.key("k", key).value<double>("v", v);
  const tsfill::pipeline<tsfill::slot::local, tsfill::partition::local_day, tsfill::dedup::last>
      job{.slot = {1min, ny}, .partition = {ny}};
  tsfill::run_options one, two;
  two.threads = 2;
  const tsfill::result a = job.run(t.view(), one);
  const tsfill::result b = job.run(t.view(), two);
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.segments().size(), 21U * 40U);  // 20 UTC days touch 21 New York days
  EXPECT_TRUE(std::equal(a.slot_times().begin(), a.slot_times().end(), b.slot_times().begin()));
  const auto& x = a.value(0);
  const auto& y = b.value(0);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.rows(); ++i) {
    differ += x.status()[i] != y.status()[i] || x.filled_valid(i) != y.filled_valid(i) ||
              (x.filled_valid(i) && x.filled<double>()[i] != y.filled<double>()[i]);
  }
  EXPECT_EQ(differ, 0U);
  // The spring-forward day has 23 hours of minute slots for a key seen all day.
  std::size_t longest = 0;
  for (const tsfill::segment& s : a.segments())
    if (s.partition == day_of(2024y / March / 10)) longest = std::max<std::size_t>(longest, s.size);
  EXPECT_LE(longest, 23U * 60U);
  EXPECT_GT(longest, 22U * 60U);
}
