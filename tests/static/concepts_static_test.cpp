// Compile-time checks only: building this file is the test.
#include <chrono>
#include <cstdint>

#include <tsfill/tsfill.hpp>

namespace tsfill_static {

using namespace tsfill;

static_assert(SlotPolicy<slot::fixed>);
static_assert(UniformSlotFunction<slot::fixed_function>);
static_assert(PartitionPolicy<partition::utc_day>);
static_assert(PartitionPolicy<partition::none>);
static_assert(RowSelectionDedup<dedup::last> && RowSelectionDedup<dedup::first> &&
              RowSelectionDedup<dedup::reject>);
static_assert(ValueSelectionDedup<dedup::last_valid> && ValueSelectionDedup<dedup::first_valid>);
static_assert(AggregationDedup<dedup::mean> && AggregationDedup<dedup::min> &&
              AggregationDedup<dedup::max> && AggregationDedup<dedup::sum> &&
              AggregationDedup<dedup::count>);
static_assert(GridPolicy<grid::partition_span> && GridPolicy<grid::key_span> &&
              GridPolicy<grid::range> && GridPolicy<grid::observed>);
static_assert(FillPolicy<fill::forward> && FillPolicy<fill::backward> && FillPolicy<fill::linear> &&
              FillPolicy<fill::nearest> && FillPolicy<fill::constant> && FillPolicy<fill::none> &&
              FillPolicy<fill::any>);

// Negative: the families do not mix, and plain types are no policies.
static_assert(!SlotPolicy<int> && !FillPolicy<int> && !DedupPolicy<int> && !GridPolicy<int>);
static_assert(!FillPolicy<slot::fixed>);  // binds, but to a slot function
static_assert(!SlotPolicy<fill::forward>);
static_assert(!DedupPolicy<fill::forward>);
static_assert(!GridPolicy<dedup::last>);

// Output types of aggregations.
static_assert(std::is_same_v<dedup::mean::accumulator<std::int64_t>::result_type, double>);
static_assert(std::is_same_v<dedup::mean::accumulator<float>::result_type, float>);
static_assert(std::is_same_v<dedup::count::accumulator<double>::result_type, std::int64_t>);

// Durations are exact and constexpr.
using namespace std::chrono_literals;
static_assert(exact_duration(30min).in_ticks({1, 1}) == 1800);
static_assert(exact_duration(1h) == exact_duration(3600s));
static_assert(tick_period::of<std::chrono::milliseconds>() == tick_period{1, 1000});

// The default pipeline is the reference scenario.
static_assert(std::is_same_v<pipeline<>, pipeline<slot::fixed, partition::utc_day, dedup::last,
                                                  grid::partition_span, fill::forward>>);

}  // namespace tsfill_static
