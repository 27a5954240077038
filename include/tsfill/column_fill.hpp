// Whole-column fills, outside any pipeline: forward fill (LOCF), backward fill (NOCB) and
// linear interpolation of one Arrow-layout column, with the kernels the pipeline uses
// (AVX-512, AVX2 or scalar, chosen once at run time; all give identical output).
//
//   std::vector<double> out(n);
//   std::vector<std::uint8_t> out_valid((n + 7) / 8);
//   tsfill::forward_fill<double>(values, validity, out, out_valid);  // validity: Arrow bitmap
//   tsfill::forward_fill_nan<double>(values, out);                   // NaN marks missing
//
// A missing element takes the nearest valid one before it (forward) or after it (backward),
// or the straight line between both (linear); one with nothing to take from stays missing:
// its bit in `out_validity` is 0 and its value NaN (0 for int64). `bit_offset` is the
// validity bitmap's first bit (Arrow arrays sliced at any offset). No limits, no partitions:
// for those, run a pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/isa.hpp>
#include <tsfill/detail/kernels/linear.hpp>
#include <tsfill/detail/kernels/locf.hpp>
#include <tsfill/error.hpp>

TSFILL_BEGIN_NAMESPACE

namespace detail {
template <class T>
void check_column_fill(const char* what, std::span<const T> in,
                       std::span<const std::uint8_t> validity, std::size_t bit_offset,
                       std::span<T> out, std::span<std::uint8_t> out_validity,
                       bool needs_validity) {
  const std::size_t n = in.size();
  const auto fail = [&](const std::string& why) {
    throw invalid_argument(std::string(what) + ": " + why);
  };
  if (out.size() != n)
    fail("the output has " + std::to_string(out.size()) + " elements, the input " +
         std::to_string(n));
  if (needs_validity && validity.size() * 8 < bit_offset + n)
    fail("the validity bitmap has " + std::to_string(validity.size()) + " bytes, " +
         std::to_string((bit_offset + n + 7) / 8) + " are needed");
  if (!out_validity.empty() && out_validity.size() < (n + 7) / 8)
    fail("the output bitmap has " + std::to_string(out_validity.size()) + " bytes, " +
         std::to_string((n + 7) / 8) + " are needed");
}
}  // namespace detail

template <class T>
requires is_value_type_v<T>
void forward_fill(std::span<const T> in, std::span<const std::uint8_t> validity, std::span<T> out,
                  std::span<std::uint8_t> out_validity, std::size_t bit_offset = 0) {
  detail::check_column_fill("forward_fill", in, validity, bit_offset, out, out_validity, true);
  detail::fill_state<T> st;
  detail::forward_fill_bitmap(detail::active_isa(), in.data(), validity.data(), bit_offset,
                              in.size(), out.data(),
                              out_validity.empty() ? nullptr : out_validity.data(), st);
}

template <class T>
requires is_value_type_v<T>
void backward_fill(std::span<const T> in, std::span<const std::uint8_t> validity, std::span<T> out,
                   std::span<std::uint8_t> out_validity, std::size_t bit_offset = 0) {
  detail::check_column_fill("backward_fill", in, validity, bit_offset, out, out_validity, true);
  detail::fill_state<T> st;
  detail::backward_fill_bitmap(detail::active_isa(), in.data(), validity.data(), bit_offset,
                               in.size(), out.data(),
                               out_validity.empty() ? nullptr : out_validity.data(), st);
}

// NaN marks a missing element; `out_validity` (optional) receives the filled validity.
template <class T>
requires std::is_floating_point_v<T> && is_value_type_v<T>
void forward_fill_nan(std::span<const T> in, std::span<T> out,
                      std::span<std::uint8_t> out_validity = {}) {
  detail::check_column_fill<T>("forward_fill_nan", in, {}, 0, out, out_validity, false);
  detail::fill_state<T> st;
  detail::forward_fill_nan(detail::active_isa(), in.data(), in.size(), out.data(),
                           out_validity.empty() ? nullptr : out_validity.data(), st);
}

template <class T>
requires std::is_floating_point_v<T> && is_value_type_v<T>
void backward_fill_nan(std::span<const T> in, std::span<T> out,
                       std::span<std::uint8_t> out_validity = {}) {
  detail::check_column_fill<T>("backward_fill_nan", in, {}, 0, out, out_validity, false);
  detail::fill_state<T> st;
  detail::backward_fill_nan(detail::active_isa(), in.data(), in.size(), out.data(),
                            out_validity.empty() ? nullptr : out_validity.data(), st);
}

// Linear interpolation by position between the valid neighbours of each missing run.
template <class T>
requires is_value_type_v<T>
void linear_fill(std::span<const T> in, std::span<const std::uint8_t> validity, std::span<T> out,
                 std::span<std::uint8_t> out_validity, std::size_t bit_offset = 0) {
  detail::check_column_fill("linear_fill", in, validity, bit_offset, out, out_validity, true);
  detail::linear_fill_bitmap(in.data(), validity.data(), bit_offset, in.size(), out.data(),
                             out_validity.empty() ? nullptr : out_validity.data());
}

TSFILL_END_NAMESPACE
