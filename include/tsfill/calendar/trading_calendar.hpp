// Trading calendars: which local dates have a session, and its hours.
//
//   trading_calendar cal{session_hours::parse("09:30-16:00")};  weekdays, those hours
//   trading_calendar cal{hours, trading_calendar::rules::every_day}  weekends too (24/7
//                                  markets, sensors, weather)
//   trading_calendar::nyse()       + NYSE holidays and 13:00 early closes (rules below)
//   cal.add_exceptions_from(path)  + a CSV of exceptions, one line per date:
//       date,open,close            header (optional), then e.g.
//       2024-07-03,09:30,13:00     special hours
//       2024-12-25,closed,         no session
//   Lines starting with '#' and blank lines are ignored. Exceptions win over rules.
//
// NYSE rules (regular hours 09:30-16:00 America/New_York): closed on New Year's Day (a
// Sunday moves to Monday; a Saturday is not made up), Martin Luther King Jr. Day (3rd
// Monday of January), Washington's Birthday (3rd Monday of February), Good Friday,
// Memorial Day (last Monday of May), Juneteenth (from 2022), Independence Day, Labor Day
// (1st Monday of September), Thanksgiving (4th Thursday of November) and Christmas; for
// Juneteenth, Independence Day and Christmas a Saturday moves to Friday and a Sunday to
// Monday. Early close at 13:00 on July 3 (when a weekday other than Friday), the day after
// Thanksgiving, and December 24 (when a weekday other than Friday).
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>

TSFILL_BEGIN_NAMESPACE
namespace calendar {

// Session hours as local minutes after midnight, [open, close).
struct session_hours {
  int open = 0;
  int close = 24 * 60;

  // "HH:MM-HH:MM", or an invalid_argument naming `what`.
  static session_hours parse(std::string_view text, const char* what = "session hours") {
    const std::size_t dash = text.find('-');
    session_hours h;
    if (dash == std::string_view::npos || !parse_clock(text.substr(0, dash), h.open) ||
        !parse_clock(text.substr(dash + 1), h.close) || h.close <= h.open)
      throw invalid_argument(std::string(what) +
                             ": expected HH:MM-HH:MM with the close after the open, got '" +
                             std::string(text) + "'");
    return h;
  }
  // "HH:MM" (00:00 to 24:00) as minutes after midnight.
  static bool parse_clock(std::string_view s, int& minutes) {
    if (s.size() != 5 || s[2] != ':') return false;
    for (const int i : {0, 1, 3, 4})
      if (s[static_cast<std::size_t>(i)] < '0' || s[static_cast<std::size_t>(i)] > '9')
        return false;
    const int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0)) return false;
    minutes = h * 60 + m;
    return true;
  }
  friend bool operator==(const session_hours&, const session_hours&) = default;
};

class trading_calendar {
 public:
  enum class rules { weekdays, every_day, nyse };

  explicit trading_calendar(session_hours regular = {}, rules r = rules::weekdays)
      : regular_(regular), rules_(r) {}
  static trading_calendar nyse(session_hours regular = {9 * 60 + 30, 16 * 60}) {
    return trading_calendar(regular, rules::nyse);
  }

  // The session of a local date, or nullopt when the market is closed.
  std::optional<session_hours> session(std::chrono::sys_days day) const {
    if (const auto it = exceptions_.find(day.time_since_epoch().count()); it != exceptions_.end())
      return it->second;
    if (rules_ == rules::every_day) return regular_;
    const std::chrono::weekday wd{day};
    if (wd == std::chrono::Saturday || wd == std::chrono::Sunday) return std::nullopt;
    if (rules_ == rules::nyse) {
      if (nyse_holiday(day)) return std::nullopt;
      if (nyse_early_close(day))
        return session_hours{regular_.open, std::min(regular_.close, 13 * 60)};
    }
    return regular_;
  }

  // Sets the session of one date (nullopt: closed), winning over the rules.
  void set(std::chrono::sys_days day, std::optional<session_hours> s) {
    exceptions_[day.time_since_epoch().count()] = s;
  }

  // Reads exceptions from a CSV file (see the banner); errors name the file and line.
  void add_exceptions_from(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw invalid_argument("calendar file " + path + ": cannot open");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#' || line.rfind("date,", 0) == 0) continue;
      const auto fail = [&](const std::string& why) {
        return invalid_argument("calendar file " + path + ", line " + std::to_string(number) +
                                ": " + why);
      };
      const std::size_t c1 = line.find(',');
      const std::size_t c2 = c1 == std::string::npos ? std::string::npos : line.find(',', c1 + 1);
      const std::string date = line.substr(0, c1);
      const std::string open =
          c1 == std::string::npos
              ? ""
              : line.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
      const std::string close = c2 == std::string::npos ? "" : line.substr(c2 + 1);
      const auto day = tsfill::parse_date(date);
      if (!day) throw fail("expected a YYYY-MM-DD date, got '" + date + "'");
      if (open == "closed") {
        set(*day, std::nullopt);
        continue;
      }
      session_hours h;
      if (!session_hours::parse_clock(open, h.open) ||
          !session_hours::parse_clock(close, h.close) || h.close <= h.open)
        throw fail("expected open and close as HH:MM (close after open) or 'closed', got '" + open +
                   "," + close + "'");
      set(*day, h);
    }
  }

  const session_hours& regular() const noexcept { return regular_; }

  // Easter Sunday (Gregorian; the anonymous algorithm of Meeus, Jones and Butcher).
  static std::chrono::sys_days easter(int y) {
    using namespace std::chrono;
    const int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25,
              g = (b - f + 1) / 3;
    const int h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4,
              l = (32 + 2 * e + 2 * i - h - k) % 7;
    const int m = (a + 11 * h + 22 * l) / 451;
    const int mon = (h + l - 7 * m + 114) / 31, dd = (h + l - 7 * m + 114) % 31 + 1;
    return sys_days{year{y} / month{static_cast<unsigned>(mon)} / day{static_cast<unsigned>(dd)}};
  }

 private:
  // A fixed-date holiday moved off the weekend (Saturday -> Friday, Sunday -> Monday).
  static std::chrono::sys_days observed(std::chrono::sys_days d) {
    using namespace std::chrono;
    const weekday wd{d};
    if (wd == Saturday) return d - days{1};
    if (wd == Sunday) return d + days{1};
    return d;
  }

  static bool nyse_holiday(std::chrono::sys_days d) {
    using namespace std::chrono;
    const year_month_day ymd{d};
    const year y = ymd.year();
    const int yi = static_cast<int>(y);
    const sys_days jan1{y / January / 1};
    if (d == jan1 && weekday{d} != Saturday) return true;
    if (weekday{jan1} == Sunday && d == jan1 + days{1}) return true;
    if (d == sys_days{y / January / Monday[3]}) return true;
    if (d == sys_days{y / February / Monday[3]}) return true;
    if (d == easter(yi) - days{2}) return true;
    if (d == sys_days{y / May / Monday[last]}) return true;
    if (yi >= 2022 && d == observed(sys_days{y / June / 19})) return true;
    if (d == observed(sys_days{y / July / 4})) return true;
    if (d == sys_days{y / September / Monday[1]}) return true;
    if (d == sys_days{y / November / Thursday[4]}) return true;
    if (d == observed(sys_days{y / December / 25})) return true;
    return false;
  }

  static bool nyse_early_close(std::chrono::sys_days d) {
    using namespace std::chrono;
    const year_month_day ymd{d};
    const year y = ymd.year();
    const weekday wd{d};
    if (d == sys_days{y / July / 3} && wd != Friday && !nyse_holiday(d)) return true;
    if (d == sys_days{y / November / Thursday[4]} + days{1}) return true;
    if (d == sys_days{y / December / 24} && wd != Friday && !nyse_holiday(d)) return true;
    return false;
  }

  session_hours regular_;
  rules rules_;
  std::map<std::int64_t, std::optional<session_hours>> exceptions_;
};

}  // namespace calendar
TSFILL_END_NAMESPACE
