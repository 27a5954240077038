// Forward declarations of tsfill's public types, for headers that only name them.
#pragma once

#include <chrono>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE

class error;
class invalid_argument;
class duplicate_error;
struct tick_period;
class exact_duration;
class instant;
class key_column;
class value_column;
template <class Duration>
struct table_view;
class dictionary;
struct segment;
struct run_stats;
class result_column;
class result;
struct run_options;
struct carry_seed;

namespace slot {
struct fixed;
}
namespace partition {
struct utc_day;
struct none;
}  // namespace partition
namespace dedup {
struct last;
struct first;
struct reject;
struct last_valid;
struct first_valid;
struct mean;
struct min;
struct max;
struct sum;
struct count;
}  // namespace dedup
namespace grid {
struct partition_span;
struct key_span;
struct range;
struct observed;
}  // namespace grid
namespace fill {
struct forward;
struct backward;
struct linear;
struct nearest;
struct constant;
struct none;
class any;
}  // namespace fill

template <class S, class P, class D, class G, class F>
struct pipeline;

TSFILL_END_NAMESPACE
