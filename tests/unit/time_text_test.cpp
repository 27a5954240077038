// zone_offsets.hpp and time.hpp's parse_date: the zone table without a tz database (a
// synthetic zone with a skipped and a repeated hour), and the one date parser.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include <tsfill/time.hpp>
#include <tsfill/zone_offsets.hpp>

namespace {

// UTC+1 until t = 1000 s, then UTC+2 (an hour skipped), back to UTC+1 at t = 9000 s (an
// hour repeated).
const tsfill::zone_offsets zone("Test/Zone", {{INT64_MIN, 3600}, {1000, 7200}, {9000, 3600}});

TEST(zone_offsets, offsets_and_local_to_utc) {
  EXPECT_EQ(zone.name(), "Test/Zone");
  EXPECT_EQ(zone.offset_at(-1'000'000), 3600);
  EXPECT_EQ(zone.offset_at(999), 3600);
  EXPECT_EQ(zone.offset_at(1000), 7200);
  EXPECT_EQ(zone.offset_at(8999), 7200);
  EXPECT_EQ(zone.offset_at(9000), 3600);
  EXPECT_EQ(zone.to_utc(500 + 3600), 500);           // plain
  EXPECT_EQ(zone.to_utc(1000 + 3600 + 10), 1000);    // skipped: the gap's end
  EXPECT_EQ(zone.to_utc(8500 + 7200), 8500);         // repeated: the earlier instant
  EXPECT_EQ(zone.to_utc(9500 + 3600), 9500 - 3600);  // also repeated: 5900 and 9500
  EXPECT_EQ(zone.to_utc(20000 + 3600), 20000);
  EXPECT_EQ(tsfill::zone_offsets().offset_at(0), 0);  // UTC
}

TEST(zone_offsets, a_bad_table_is_refused) {
  EXPECT_THROW(tsfill::zone_offsets("A", {}), tsfill::invalid_argument);
  EXPECT_THROW(tsfill::zone_offsets("A", {{0, 0}}), tsfill::invalid_argument);
  try {
    tsfill::zone_offsets("B", {{INT64_MIN, 0}, {5, 0}, {5, 3600}});
    FAIL() << "no error";
  } catch (const tsfill::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "tsfill: zone_offsets 'B': interval begins must increase");
  }
}

TEST(time, parse_date) {
  using namespace std::chrono;
  EXPECT_EQ(tsfill::parse_date("1970-01-01"), sys_days{});
  EXPECT_EQ(tsfill::parse_date("2024-02-29"), sys_days{2024y / February / 29});
  EXPECT_EQ(tsfill::parse_date("1969-12-31")->time_since_epoch().count(), -1);
  EXPECT_EQ(tsfill::parse_date("2023-02-29"), std::nullopt);
  EXPECT_EQ(tsfill::parse_date("2024-2-29"), std::nullopt);
  EXPECT_EQ(tsfill::parse_date("2024-02-29T"), std::nullopt);
  EXPECT_EQ(tsfill::parse_date("2024/02/29"), std::nullopt);
  static_assert(tsfill::parse_date("2000-01-01").has_value());
}

}  // namespace
