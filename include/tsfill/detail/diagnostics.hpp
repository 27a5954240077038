// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Plain-words compile errors for types that are not valid policies. pipeline<> instantiates
// one check per policy; each requirement has its own static_assert, so the first message
// names exactly what the user's type lacks (and the instantiation context names the type).
#pragma once

#include <concepts>
#include <cstdint>
#include <type_traits>
#include <utility>

#include <tsfill/concepts.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

template <class S>
consteval bool check_slot_policy() {
  constexpr bool binds = requires(const S& s, tick_period p) {
    s.bind(p);
  };
  static_assert(binds,
                "tsfill: not a slot policy: it needs a member 'bind(tsfill::tick_period) const' "
                "returning a slot function");
  if constexpr (binds) {
    using F = decltype(std::declval<const S&>().bind(tick_period{}));
    static_assert(HasSlotOrdinal<F>,
                  "tsfill: the slot function returned by bind() needs "
                  "'std::int64_t ordinal(std::int64_t ticks) const'");
    static_assert(HasSlotStart<F>,
                  "tsfill: the slot function returned by bind() needs "
                  "'std::int64_t start(std::int64_t ordinal) const'");
  }
  static_assert(std::copyable<S>, "tsfill: a slot policy must be copyable");
  return true;
}

template <class P>
consteval bool check_partition_policy() {
  constexpr bool binds = requires(const P& p, tick_period t) {
    p.bind(t);
  };
  static_assert(binds,
                "tsfill: not a partition policy: it needs a member "
                "'bind(tsfill::tick_period) const' returning a partition function");
  if constexpr (binds) {
    using F = decltype(std::declval<const P&>().bind(tick_period{}));
    static_assert(HasPartitionId<F>,
                  "tsfill: the partition function returned by bind() needs "
                  "'std::int64_t id(std::int64_t ticks) const'");
    static_assert(HasPartitionBounds<F>,
                  "tsfill: the partition function returned by bind() needs 'begin(id)', "
                  "'end(id)' and 'static constexpr bool bounded'");
  }
  static_assert(std::copyable<P>, "tsfill: a partition policy must be copyable");
  return true;
}

template <class D>
consteval bool check_dedup_policy() {
  static_assert(HasDedupCategory<D>,
                "tsfill: not a dedup policy: it needs 'using category = ...;' naming "
                "tsfill::row_selection_tag, value_selection_tag or aggregation_tag");
  if constexpr (HasDedupCategory<D>) {
    using C = typename D::category;
    static_assert(std::same_as<C, row_selection_tag> || std::same_as<C, value_selection_tag> ||
                      std::same_as<C, aggregation_tag>,
                  "tsfill: a dedup policy's category must be row_selection_tag, "
                  "value_selection_tag or aggregation_tag");
    if constexpr (std::same_as<C, row_selection_tag> || std::same_as<C, value_selection_tag>) {
      static_assert(ChoosesBetweenRows<D>,
                    "tsfill: a selecting dedup policy needs 'tsfill::dedup_choice "
                    "choose(const dedup_candidate& incumbent, const dedup_candidate& "
                    "candidate) const'");
    }
    if constexpr (std::same_as<C, aggregation_tag>) {
      static_assert(AccumulatesEveryValueType<D>,
                    "tsfill: an aggregating dedup policy needs 'template <class T> struct "
                    "accumulator' with result_type, add(T), has_value() and value(), for T = "
                    "double, float and std::int64_t");
    }
  }
  static_assert(std::copyable<D>, "tsfill: a dedup policy must be copyable");
  return true;
}

template <class G>
consteval bool check_grid_policy() {
  constexpr bool binds = requires(const G& g, const grid_context& c) {
    g.bind(c);
  };
  static_assert(binds,
                "tsfill: not a grid policy: it needs a member "
                "'bind(const tsfill::grid_context&) const' returning a grid function");
  if constexpr (binds) {
    using F = decltype(std::declval<const G&>().bind(std::declval<const grid_context&>()));
    static_assert(HasGridShape<F>,
                  "tsfill: the grid function returned by bind() needs 'key_scope keys() const', "
                  "'bool dense() const' and 'slot_range partitions() const'");
    static_assert(HasGridSpan<F>,
                  "tsfill: the grid function returned by bind() needs 'slot_range "
                  "span(const partition_info&, slot_range key_data) const'");
  }
  static_assert(std::copyable<G>, "tsfill: a grid policy must be copyable");
  return true;
}

template <class F>
consteval bool check_fill_policy() {
  constexpr bool binds = requires(const F& f, tick_period p) {
    f.bind(p);
  };
  static_assert(binds,
                "tsfill: not a fill policy: it needs a member 'bind(tsfill::tick_period) const' "
                "returning a fill function");
  if constexpr (binds) {
    using B = decltype(std::declval<const F&>().bind(tick_period{}));
    static_assert(FillsEveryValueType<B>,
                  "tsfill: the fill function returned by bind() needs 'template <class T> void "
                  "fill(const tsfill::fill_segment<T>&) const' for T = double, float and "
                  "std::int64_t");
  }
  static_assert(std::copyable<F>, "tsfill: a fill policy must be copyable");
  return true;
}

}  // namespace detail
TSFILL_END_NAMESPACE
