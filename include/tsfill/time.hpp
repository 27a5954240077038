// Exact, type-erased lengths and points of time.
//
// Timestamps in tsfill are int64 ticks of a std::chrono duration (nanoseconds unless the
// input says otherwise). Policies are configured with ordinary chrono values (30min, 1h,
// a sys_time origin) and are not templates on the tick type: they keep the value as an
// exact rational number of seconds and convert it to ticks once per run, failing with a
// clear message when the value is not a whole number of ticks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ratio>
#include <string>
#include <string_view>
#include <type_traits>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>

TSFILL_BEGIN_NAMESPACE

// The length of one tick in seconds, num/den (std::ratio at run time).
struct tick_period {
  std::int64_t num = 1;
  std::int64_t den = 1'000'000'000;

  template <class Duration>
  static constexpr tick_period of() noexcept {
    return {static_cast<std::int64_t>(Duration::period::num),
            static_cast<std::int64_t>(Duration::period::den)};
  }
  friend constexpr bool operator==(const tick_period&, const tick_period&) = default;
};

// A length of time, exactly: count * num / den seconds. Built from any std::chrono duration
// with an integral representation.
class exact_duration {
 public:
  constexpr exact_duration() noexcept = default;

  template <class Rep, class Period>
  requires std::is_integral_v<Rep>
  constexpr exact_duration(std::chrono::duration<Rep, Period> d) noexcept  // NOLINT: implicit
      : count_(static_cast<std::int64_t>(d.count())),
        num_(static_cast<std::int64_t>(Period::num)),
        den_(static_cast<std::int64_t>(Period::den)) {}

  constexpr std::int64_t count() const noexcept { return count_; }
  constexpr std::int64_t num() const noexcept { return num_; }
  constexpr std::int64_t den() const noexcept { return den_; }
  constexpr bool is_zero() const noexcept { return count_ == 0; }
  constexpr bool is_negative() const noexcept { return count_ < 0; }

  // This length in ticks of `p`, or nullopt when it is not a whole number of ticks or does
  // not fit in int64.
  constexpr std::optional<std::int64_t> in_ticks(tick_period p) const noexcept {
    const detail::int128 numer =
        static_cast<detail::int128>(count_) * num_ * static_cast<detail::int128>(p.den);
    const detail::int128 denom = static_cast<detail::int128>(den_) * p.num;
    if (numer % denom != 0) return std::nullopt;
    const detail::int128 q = numer / denom;
    if (q > INT64_MAX || q < INT64_MIN) return std::nullopt;
    return static_cast<std::int64_t>(q);
  }

  // Ticks of `p`, or an invalid_argument naming `what` (e.g. "slot::fixed::width").
  std::int64_t ticks_or_throw(tick_period p, const char* what) const {
    if (auto t = in_ticks(p)) return *t;
    throw invalid_argument(std::string(what) + " = " + to_string() +
                           " is not a whole number of input ticks (" +
                           exact_duration(1, p.num, p.den).to_string() + ")");
  }

  // "30min", "1h", "1500ms", "-2d"; exotic ratios print as "7*1/3s".
  std::string to_string() const {
    struct unit {
      std::int64_t num, den;
      const char* name;
    };
    static constexpr unit units[] = {
        {86400, 1, "d"}, {3600, 1, "h"},       {60, 1, "min"},          {1, 1, "s"},
        {1, 1000, "ms"}, {1, 1'000'000, "us"}, {1, 1'000'000'000, "ns"}};
    if (count_ == 0) return "0s";
    for (const unit& u : units) {
      if (auto t = in_ticks({u.num, u.den})) return std::to_string(*t) + u.name;
    }
    return std::to_string(count_) + "*" + std::to_string(num_) + "/" + std::to_string(den_) + "s";
  }

  friend constexpr bool operator==(const exact_duration& a, const exact_duration& b) noexcept {
    return static_cast<detail::int128>(a.count_) * a.num_ * b.den_ ==
           static_cast<detail::int128>(b.count_) * b.num_ * a.den_;
  }

 private:
  constexpr exact_duration(std::int64_t count, std::int64_t num, std::int64_t den) noexcept
      : count_(count), num_(num), den_(den) {}
  std::int64_t count_ = 0;
  std::int64_t num_ = 1;
  std::int64_t den_ = 1;
};

// A point in time: an exact_duration since the Unix epoch (1970-01-01 00:00:00 UTC).
// Built from a sys_time (any precision) or from a duration since the epoch.
class instant {
 public:
  constexpr instant() noexcept = default;
  template <class Duration>
  constexpr instant(std::chrono::sys_time<Duration> t) noexcept  // NOLINT: implicit
      : since_epoch_(t.time_since_epoch()) {}
  constexpr explicit instant(exact_duration since_epoch) noexcept : since_epoch_(since_epoch) {}

  constexpr const exact_duration& since_epoch() const noexcept { return since_epoch_; }
  std::int64_t ticks_or_throw(tick_period p, const char* what) const {
    return since_epoch_.ticks_or_throw(p, what);
  }
  friend constexpr bool operator==(const instant&, const instant&) = default;

 private:
  exact_duration since_epoch_{};
};

// A calendar date written YYYY-MM-DD (exactly; a valid Gregorian date), or nullopt.
constexpr std::optional<std::chrono::sys_days> parse_date(std::string_view s) noexcept {
  using namespace std::chrono;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const std::size_t at[3] = {0, 5, 8}, len[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k)
    for (std::size_t i = at[k]; i < at[k] + len[k]; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v[k] = v[k] * 10 + (s[i] - '0');
    }
  const year_month_day ymd{year{v[0]}, month{static_cast<unsigned>(v[1])},
                           day{static_cast<unsigned>(v[2])}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

TSFILL_END_NAMESPACE
