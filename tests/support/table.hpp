// Test helper: owns the columns of a small input table and hands out a table_view.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <tsfill/tsfill.hpp>

namespace tsfill_test {

using namespace std::chrono_literals;

// Minutes since the epoch, as nanosecond ticks.
constexpr std::int64_t min_ns(std::int64_t minutes) {
  return minutes * 60'000'000'000LL;
}
constexpr std::int64_t day_ns(std::int64_t days) {
  return days * 86'400'000'000'000LL;
}

template <class Duration = std::chrono::nanoseconds>
class owned_table {
 public:
  explicit owned_table(std::vector<std::int64_t> time) : time_(std::move(time)) {}

  owned_table& key(const std::string& name, std::vector<std::int64_t> codes) {
    keys_.push_back(std::move(codes));
    key_names_.push_back(name);
    return *this;
  }
  // nullopt = null; a bitmap is built only when some value is null.
  template <class T>
  owned_table& value(const std::string& name, const std::vector<std::optional<T>>& v) {
    std::vector<T> data;
    std::vector<std::uint8_t> bits((v.size() + 7) / 8, 0);
    bool any_null = false;
    for (std::size_t i = 0; i < v.size(); ++i) {
      data.push_back(v[i].value_or(T{}));
      if (v[i]) bits[i / 8] = static_cast<std::uint8_t>(bits[i / 8] | (1U << (i % 8)));
      any_null = any_null || !v[i];
    }
    if constexpr (std::is_same_v<T, double>) f64_.push_back(std::move(data));
    if constexpr (std::is_same_v<T, float>) f32_.push_back(std::move(data));
    if constexpr (std::is_same_v<T, std::int64_t>) i64_.push_back(std::move(data));
    bitmaps_.push_back(any_null ? std::move(bits) : std::vector<std::uint8_t>{});
    if constexpr (std::is_same_v<T, double>)
      values_.emplace_back(name, f64_.back(), span_of(bitmaps_.back()));
    if constexpr (std::is_same_v<T, float>)
      values_.emplace_back(name, f32_.back(), span_of(bitmaps_.back()));
    if constexpr (std::is_same_v<T, std::int64_t>)
      values_.emplace_back(name, i64_.back(), span_of(bitmaps_.back()));
    return *this;
  }

  tsfill::table_view<Duration> view() const {
    tsfill::table_view<Duration> t;
    t.time = time_;
    for (std::size_t j = 0; j < keys_.size(); ++j) t.keys.emplace_back(key_names_[j], keys_[j]);
    t.values = values_;
    return t;
  }

 private:
  static std::span<const std::uint8_t> span_of(const std::vector<std::uint8_t>& b) {
    return b.empty() ? std::span<const std::uint8_t>() : std::span<const std::uint8_t>(b);
  }
  std::vector<std::int64_t> time_;
  std::deque<std::vector<std::int64_t>> keys_;  // deque: stable addresses for the spans
  std::vector<std::string> key_names_;
  std::deque<std::vector<double>> f64_;
  std::deque<std::vector<float>> f32_;
  std::deque<std::vector<std::int64_t>> i64_;
  std::deque<std::vector<std::uint8_t>> bitmaps_;
  std::vector<tsfill::value_column> values_;
};

// One output row, flattened for easy comparison in tests.
struct out_row {
  std::int64_t partition;
  std::vector<std::int64_t> key;
  std::int64_t slot;
  std::optional<double> original;
  std::optional<double> filled;
  tsfill::cell_status status;
  friend bool operator==(const out_row&, const out_row&) = default;
};

inline std::vector<out_row> rows_of(const tsfill::result& r, std::size_t column = 0) {
  std::vector<out_row> out;
  const tsfill::result_column& c = r.value(column);
  auto get = [&](bool filled, std::size_t i) -> std::optional<double> {
    if (!(filled ? c.filled_valid(i) : c.original_valid(i))) return std::nullopt;
    switch (c.type()) {
      case tsfill::value_type::float64:
        return (filled ? c.filled<double>() : c.original<double>())[i];
      case tsfill::value_type::float32:
        return (filled ? c.filled<float>() : c.original<float>())[i];
      case tsfill::value_type::int64:
        return static_cast<double>(
            (filled ? c.filled<std::int64_t>() : c.original<std::int64_t>())[i]);
    }
    return std::nullopt;
  };
  for (const tsfill::segment& s : r.segments()) {
    std::vector<std::int64_t> key;
    for (std::size_t j = 0; j < r.key_count(); ++j) key.push_back(r.distinct_keys(j)[s.key]);
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i)
      out.push_back(
          {s.partition, key, r.slot_times()[i], get(false, i), get(true, i), c.status()[i]});
  }
  return out;
}

}  // namespace tsfill_test
