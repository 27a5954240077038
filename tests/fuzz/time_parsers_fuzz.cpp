// libFuzzer target: the timestamp, epoch, date and duration parsers on any text, and the
// round trip every parsed instant must survive: formatted as the writer formats it, it reads
// back as the same instant (so an output is always readable by tsfill itself).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "timefmt.hpp"

using namespace tsfill_io;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (const auto ns = parse_timestamp(text, &why)) {
    if (!in_time_range(*ns)) __builtin_trap();
    const auto back = parse_timestamp(format_timestamp(*ns));
    if (!back || *back != *ns) __builtin_trap();
    for (const std::int32_t offset : {0, 3600, -34200, 50400}) {  // (the --tz writer's form)
      const auto zoned = parse_timestamp(format_timestamp(*ns, offset, true));
      if (zoned && *zoned != *ns) __builtin_trap();
    }
  }
  // The fixed-layout fast path agrees with the general parser (a leading space sends any
  // text to the general one).
  if (const auto fast = parse_fixed_timestamp(text))
    if (parse_timestamp(" " + std::string(text)) != fast) __builtin_trap();
  for (const char* unit : {"s", "ms", "us", "ns"}) {
    why.clear();
    if (const auto ns = parse_epoch(text, unit, &why))
      if (!in_time_range(*ns)) __builtin_trap();
  }
  if (const auto day = parse_date(text)) {
    const auto back = parse_date(format_date(*day));
    if (!back || *back != *day) __builtin_trap();
  }
  why.clear();
  (void)parse_duration(text, &why);
  return 0;
}
