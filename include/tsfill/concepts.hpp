// The concepts a policy must satisfy, for people writing their own.
//
// Each policy family is a concept built from small named requirements, so that a compiler's
// "because ..." notes name what is missing. Policies are plain configuration structs; once
// per run the pipeline binds each to the input's tick period and calls the bound object in
// its loops (the bound object holds durations already converted to ticks).
//
//   SlotPolicy       s.bind(tick_period) -> SlotFunction
//   SlotFunction     f.ordinal(ticks) -> int64   slot ordinal of a timestamp (floor); monotone,
//                                                 consecutive slots have consecutive ordinals
//                    f.start(ordinal) -> int64   start time of a slot, in ticks
//   PartitionPolicy  p.bind(tick_period) -> PartitionFunction
//   PartitionFunction f.id(ticks) -> int64, f.begin(id) -> int64, f.end(id) -> int64,
//                    static constexpr bool bounded
//   DedupPolicy      a row or value selection policy (category row_selection_tag or
//                    value_selection_tag, choose(incumbent, candidate) -> dedup_choice) or an
//                    aggregation (category aggregation_tag, accumulator<T> with add(T),
//                    has_value(), value() and result_type) for T = double, float, int64
//   GridPolicy       g.bind(grid_context) -> GridFunction
//   GridFunction     f.keys() -> key_scope, f.dense() -> bool, f.partitions() -> slot_range
//                    (extra partition ids to enumerate; empty for data-driven grids),
//                    f.span(partition_info, slot_range key_data) -> slot_range
//   FillPolicy       f.bind(tick_period) -> FillFunction
//   FillFunction     f.fill(fill_segment<T>) for T = double, float, int64
//
// With run_options::threads > 1 the bound functions' const members are called from several
// threads at once, so they must not change shared state.
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>

#include <tsfill/detail/config.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE

// --- slot --------------------------------------------------------------------------------
template <class F>
concept HasSlotOrdinal = requires(const F& f, std::int64_t t) {
  { f.ordinal(t) } -> std::same_as<std::int64_t>;
};
template <class F>
concept HasSlotStart = requires(const F& f, std::int64_t s) {
  { f.start(s) } -> std::same_as<std::int64_t>;
};
template <class F>
concept SlotFunction = std::copyable<F> && HasSlotOrdinal<F> && HasSlotStart<F>;

template <class S>
concept BindsToSlotFunction = requires(const S& s, tick_period p) {
  { s.bind(p) } -> SlotFunction;
};
template <class S>
concept SlotPolicy = std::copyable<S> && BindsToSlotFunction<S>;

// A slot function whose slots all have the same length (enables arithmetic cell indices).
template <class F>
concept UniformSlotFunction = SlotFunction<F> && requires(const F& f) {
  requires F::uniform;
  { f.width() } -> std::same_as<std::int64_t>;
};

// --- partition ---------------------------------------------------------------------------
template <class F>
concept HasPartitionId = requires(const F& f, std::int64_t t) {
  { f.id(t) } -> std::same_as<std::int64_t>;
};
template <class F>
concept HasPartitionBounds = requires(const F& f, std::int64_t id) {
  { f.begin(id) } -> std::same_as<std::int64_t>;
  { f.end(id) } -> std::same_as<std::int64_t>;
  { F::bounded } -> std::convertible_to<bool>;
};
template <class F>
concept PartitionFunction = std::copyable<F> && HasPartitionId<F> && HasPartitionBounds<F>;

template <class P>
concept BindsToPartitionFunction = requires(const P& p, tick_period t) {
  { p.bind(t) } -> PartitionFunction;
};
template <class P>
concept PartitionPolicy = std::copyable<P> && BindsToPartitionFunction<P>;

// --- dedup -------------------------------------------------------------------------------
template <class D>
concept HasDedupCategory = requires {
  typename D::category;
};

template <class D>
concept ChoosesBetweenRows = requires(const D& d, const dedup_candidate& a,
                                      const dedup_candidate& b) {
  { d.choose(a, b) } -> std::same_as<dedup_choice>;
};

template <class D>
concept RowSelectionDedup = HasDedupCategory<D> &&
    std::same_as<typename D::category, row_selection_tag> && ChoosesBetweenRows<D>;
template <class D>
concept ValueSelectionDedup = HasDedupCategory<D> &&
    std::same_as<typename D::category, value_selection_tag> && ChoosesBetweenRows<D>;

template <class A, class T>
concept Accumulator = std::default_initializable<A> && requires(A& a, const A& ca, T v) {
  typename A::result_type;
  a.add(v);
  { ca.has_value() } -> std::convertible_to<bool>;
  { ca.value() } -> std::convertible_to<typename A::result_type>;
};
template <class D>
concept AccumulatesEveryValueType = Accumulator < typename D::template accumulator<double>,
double > &&Accumulator<typename D::template accumulator<float>, float>&&
             Accumulator<typename D::template accumulator<std::int64_t>, std::int64_t>;
template <class D>
concept AggregationDedup = HasDedupCategory<D> &&
    std::same_as<typename D::category, aggregation_tag> && AccumulatesEveryValueType<D>;

template <class D>
concept DedupPolicy = std::copyable<D> &&
    (RowSelectionDedup<D> || ValueSelectionDedup<D> || AggregationDedup<D>);

// --- grid --------------------------------------------------------------------------------
template <class F>
concept HasGridShape = requires(const F& f) {
  { f.keys() } -> std::same_as<key_scope>;
  { f.dense() } -> std::convertible_to<bool>;
  { f.partitions() } -> std::same_as<slot_range>;
};
template <class F>
concept HasGridSpan = requires(const F& f, const partition_info& p, slot_range r) {
  { f.span(p, r) } -> std::same_as<slot_range>;
};
template <class F>
concept GridFunction = std::copyable<F> && HasGridShape<F> && HasGridSpan<F>;

template <class G>
concept BindsToGridFunction = requires(const G& g, const grid_context& c) {
  { g.bind(c) } -> GridFunction;
};
template <class G>
concept GridPolicy = std::copyable<G> && BindsToGridFunction<G>;

// --- fill --------------------------------------------------------------------------------
template <class F>
concept FillsEveryValueType = requires(const F& f, const fill_segment<double>& d,
                                       const fill_segment<float>& s,
                                       const fill_segment<std::int64_t>& i) {
  f.fill(d);
  f.fill(s);
  f.fill(i);
};
template <class F>
concept FillFunction = std::copyable<F> && FillsEveryValueType<F>;

template <class F>
concept BindsToFillFunction = requires(const F& f, tick_period p) {
  { f.bind(p) } -> FillFunction;
};
template <class F>
concept FillPolicy = std::copyable<F> && BindsToFillFunction<F>;

TSFILL_END_NAMESPACE
