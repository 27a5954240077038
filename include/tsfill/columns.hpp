// The input of a pipeline: a non-owning, structure-of-arrays table.
//
//   table_view<Duration>   timestamps (int64 ticks of Duration since the Unix epoch, UTC),
//                          key columns and value columns, all of the same length
//   key_column             integers of any width, or dictionary codes of strings
//                          (see dictionary.hpp)
//   value_column           double, float or int64 values with an optional Arrow-layout
//                          validity bitmap (LSB-first, 1 = valid) and bit offset
//
// Rows may come in any order, with any number of rows per key and slot. Nothing is copied:
// the spans must stay valid while the pipeline runs; the result owns all of its data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>

TSFILL_BEGIN_NAMESPACE

// The value types a value column may hold.
enum class value_type : std::uint8_t { float64, float32, int64 };

template <class T>
inline constexpr bool is_value_type_v =
    std::is_same_v<T, double> || std::is_same_v<T, float> || std::is_same_v<T, std::int64_t>;

template <class T>
requires is_value_type_v<T>
constexpr value_type value_type_of() noexcept {
  if constexpr (std::is_same_v<T, double>) return value_type::float64;
  if constexpr (std::is_same_v<T, float>) return value_type::float32;
  if constexpr (std::is_same_v<T, std::int64_t>) return value_type::int64;
}

// Calls f(static_cast<T*>(nullptr)) with T the C++ type of `t`: the one switch over value
// types, for code that handles each type with one generic lambda.
//   tsfill::visit(col.type(), [&](auto* tag) { using T = std::remove_pointer_t<decltype(tag)>; });
template <class F>
constexpr decltype(auto) visit(value_type t, F&& f) {
  switch (t) {
    case value_type::float32:
      return f(static_cast<float*>(nullptr));
    case value_type::int64:
      return f(static_cast<std::int64_t*>(nullptr));
    case value_type::float64:
      break;
  }
  return f(static_cast<double*>(nullptr));
}

constexpr const char* to_string(value_type t) noexcept {
  switch (t) {
    case value_type::float64:
      return "float64";
    case value_type::float32:
      return "float32";
    case value_type::int64:
      return "int64";
  }
  return "?";
}

// The value stored under a null in the output's value arrays: NaN for floating types (so
// that code reading the raw arrays, e.g. through Eigen, sees missing as NaN) and 0 for
// int64. The validity bitmap and the status stay the authority on what is null.
template <class T>
requires is_value_type_v<T>
constexpr T null_placeholder() noexcept {
  if constexpr (std::is_floating_point_v<T>) {
    return std::numeric_limits<T>::quiet_NaN();
  } else {
    return T{};
  }
}

// Reads bit `i` of an Arrow validity bitmap (LSB-first).
constexpr bool bit_is_set(const std::uint8_t* bitmap, std::size_t i) noexcept {
  return ((static_cast<unsigned>(bitmap[i >> 3]) >> (i & 7U)) & 1U) != 0;
}

// A key column: integers of any standard width (dictionary codes for strings).
class key_column {
 public:
  using storage = std::variant<std::span<const std::int8_t>, std::span<const std::int16_t>,
                               std::span<const std::int32_t>, std::span<const std::int64_t>,
                               std::span<const std::uint8_t>, std::span<const std::uint16_t>,
                               std::span<const std::uint32_t>, std::span<const std::uint64_t>>;

  template <class I>
  requires std::is_integral_v<I> &&
      (!std::is_same_v<I, bool>)key_column(std::string name, std::span<const I> codes)
      : name_(std::move(name)), data_(as_fixed_width(codes)) {}

  template <class I>
  requires std::is_integral_v<I> &&
      (!std::is_same_v<I, bool>)key_column(std::string name, const std::vector<I>& codes)
      : key_column(std::move(name), std::span<const I>(codes)) {}

  const std::string& name() const noexcept { return name_; }
  std::size_t size() const noexcept {
    return std::visit([](auto s) { return s.size(); }, data_);
  }
  // Value of row i as int64 (uint64 values above INT64_MAX wrap; they still compare equal
  // among themselves, which is all a key needs).
  std::int64_t at(std::size_t i) const noexcept {
    return std::visit([i](auto s) { return static_cast<std::int64_t>(s[i]); }, data_);
  }
  const storage& data() const noexcept { return data_; }

 private:
  // `long` and `long long` are distinct types of the same width; map every integer type to
  // the fixed-width alternative of its size and signedness.
  template <class I>
  static storage as_fixed_width(std::span<const I> s) {
    using fixed = std::conditional_t<
        std::is_signed_v<I>,
        std::conditional_t<
            sizeof(I) == 1, std::int8_t,
            std::conditional_t<sizeof(I) == 2, std::int16_t,
                               std::conditional_t<sizeof(I) == 4, std::int32_t, std::int64_t>>>,
        std::conditional_t<
            sizeof(I) == 1, std::uint8_t,
            std::conditional_t<sizeof(I) == 2, std::uint16_t,
                               std::conditional_t<sizeof(I) == 4, std::uint32_t, std::uint64_t>>>>;
    static_assert(sizeof(fixed) == sizeof(I));
    return std::span<const fixed>(reinterpret_cast<const fixed*>(s.data()), s.size());
  }

  std::string name_;
  storage data_;
};

// A value column: values plus an optional validity bitmap. Without a bitmap every value is
// valid (not null). NaN is a value, not a null, unless run_options::nan_is_null says so.
class value_column {
 public:
  using storage =
      std::variant<std::span<const double>, std::span<const float>, std::span<const std::int64_t>>;

  template <class T>
  requires is_value_type_v<T> value_column(std::string name, std::span<const T> values,
                                           std::span<const std::uint8_t> validity = {},
                                           std::size_t validity_offset = 0)
      : name_(std::move(name)),
        data_(values),
        validity_(validity),
        validity_offset_(validity_offset) {}

  template <class T>
  requires is_value_type_v<T> value_column(std::string name, const std::vector<T>& values,
                                           std::span<const std::uint8_t> validity = {},
                                           std::size_t validity_offset = 0)
      : value_column(std::move(name), std::span<const T>(values), validity, validity_offset) {}

  const std::string& name() const noexcept { return name_; }
  value_type type() const noexcept { return static_cast<value_type>(data_.index()); }
  std::size_t size() const noexcept {
    return std::visit([](auto s) { return s.size(); }, data_);
  }
  bool has_validity() const noexcept { return validity_.data() != nullptr; }
  std::span<const std::uint8_t> validity() const noexcept { return validity_; }
  std::size_t validity_offset() const noexcept { return validity_offset_; }
  // False when row i is null (NaN handling is the pipeline's business, not the column's).
  bool is_valid(std::size_t i) const noexcept {
    return !has_validity() || bit_is_set(validity_.data(), validity_offset_ + i);
  }
  const storage& data() const noexcept { return data_; }
  template <class T>
  std::span<const T> values() const {
    return std::get<std::span<const T>>(data_);
  }

 private:
  std::string name_;
  storage data_;
  std::span<const std::uint8_t> validity_;
  std::size_t validity_offset_ = 0;
};

// The rows to regularize. `time` holds ticks of Duration since the Unix epoch (UTC).
template <class Duration = std::chrono::nanoseconds>
struct table_view {
  using duration = Duration;
  static_assert(std::is_integral_v<typename Duration::rep>,
                "tsfill::table_view: Duration must have an integral representation");

  std::span<const std::int64_t> time;
  std::vector<key_column> keys;
  std::vector<value_column> values;

  std::size_t rows() const noexcept { return time.size(); }

  // Throws invalid_argument naming the first column whose length differs from the time
  // column, whose bitmap is too short, or whose name is empty or repeated.
  void check() const {
    const std::size_t n = time.size();
    std::vector<std::string_view> names;
    auto check_name = [&](const std::string& name, const char* kind) {
      if (name.empty()) throw invalid_argument(std::string(kind) + " column with an empty name");
      for (std::string_view seen : names) {
        if (seen == name) throw invalid_argument("column name '" + name + "' is used twice");
      }
      names.push_back(name);
    };
    for (const key_column& k : keys) {
      check_name(k.name(), "key");
      if (k.size() != n)
        throw invalid_argument("key column '" + k.name() + "' has " + std::to_string(k.size()) +
                               " rows, the time column has " + std::to_string(n));
    }
    for (const value_column& v : values) {
      check_name(v.name(), "value");
      if (v.size() != n)
        throw invalid_argument("value column '" + v.name() + "' has " + std::to_string(v.size()) +
                               " rows, the time column has " + std::to_string(n));
      if (v.has_validity()) {
        const std::size_t bits_needed = v.validity_offset() + n;
        const std::size_t bytes_needed = (bits_needed + 7) / 8;
        if (v.validity().size() < bytes_needed)
          throw invalid_argument("validity bitmap of value column '" + v.name() + "' has " +
                                 std::to_string(v.validity().size()) + " bytes, " +
                                 std::to_string(bytes_needed) + " are needed for " +
                                 std::to_string(n) + " rows at bit offset " +
                                 std::to_string(v.validity_offset()));
      }
    }
  }
};

TSFILL_END_NAMESPACE
