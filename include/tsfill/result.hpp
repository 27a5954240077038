// The output of a pipeline: an owning, structure-of-arrays table of grid cells.
//
// Rows are ordered by partition, then key, then slot. The table is made of segments, one
// per (partition, key): a run of consecutive rows, so the partition and key columns are
// stored run-length encoded (materialize them with partition_column() / key_column()).
// Per row it holds the slot start time and, per value column, the original value (null
// where nothing was observed), the filled value, and the cell's provenance status; on
// request also how many slots away a carried value came from.
//
// Value columns of the same type share one column-major block (see eigen.hpp), and
// validity is an Arrow-layout bitmap (LSB-first, 1 = valid), so the data can be handed to
// Arrow, Eigen or numpy without copies.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>
#include <tsfill/time.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE

namespace detail {
struct result_builder;
}

// One (partition, key) run of rows.
struct segment {
  std::int64_t partition;   // partition id (e.g. days since 1970-01-01)
  std::uint32_t key;        // index into the result's distinct keys
  std::size_t offset;       // first row of the run
  std::size_t size;         // number of rows (cells)
  std::int64_t first_slot;  // slot ordinal of the first cell
};

// Counts of cells by status, for one value column.
struct column_stats {
  std::array<std::size_t, cell_status_count> cells{};  // indexed by cell_status
  std::size_t operator[](cell_status s) const noexcept {
    return cells[static_cast<std::size_t>(s)];
  }
  std::size_t filled() const noexcept {
    return cells[2] + cells[3] + cells[4] + cells[5];  // forward .. constant
  }
};

// What happened during a run.
struct run_stats {
  std::size_t rows_in = 0;            // rows offered
  std::size_t rows_outside_grid = 0;  // rows whose slot the grid does not contain (dropped)
  std::size_t duplicate_rows = 0;     // rows that shared a cell with an earlier row
  std::size_t partitions = 0;         // partitions with at least one cell
  std::size_t keys = 0;               // distinct keys in the input
  std::size_t cells = 0;              // rows of the result
  // Wall time of each stage, in seconds, in the order they ran.
  std::vector<std::pair<std::string, double>> stage_seconds;
};

class result_column {
 public:
  const std::string& name() const noexcept { return name_; }
  // The type of the output values (dedup::mean of int64 gives float64, dedup::count int64).
  value_type type() const noexcept { return type_; }

  // Throws invalid_argument when the run kept no original values (has_original()).
  template <class T>
  std::span<const T> original() const {
    check_type<T>();
    if (!has_original_)
      throw invalid_argument("column '" + name_ +
                             "' has no original values: the run had run_options::keep_original "
                             "off (its validity and statuses are there)");
    return {static_cast<const T*>(original_), rows_};
  }
  // Whether original() is there (run_options::keep_original).
  bool has_original() const noexcept { return has_original_; }
  template <class T>
  std::span<const T> filled() const {
    check_type<T>();
    return {static_cast<const T*>(filled_), rows_};
  }
  // Arrow-layout bitmaps of (rows + 7) / 8 bytes.
  std::span<const std::uint8_t> original_validity() const noexcept {
    return {original_validity_, (rows_ + 7) / 8};
  }
  std::span<const std::uint8_t> filled_validity() const noexcept {
    return {filled_validity_, (rows_ + 7) / 8};
  }
  bool original_valid(std::size_t row) const noexcept {
    return bit_is_set(original_validity_, row);
  }
  bool filled_valid(std::size_t row) const noexcept { return bit_is_set(filled_validity_, row); }
  std::span<const cell_status> status() const noexcept { return {status_, rows_}; }
  // Per row, for cells filled from an observation (forward, backward, nearest): the slot
  // distance to it, positive when it came from an earlier slot; 0 otherwise. Empty unless
  // run_options::source_offsets was set.
  std::span<const std::int32_t> source_offsets() const noexcept {
    return {source_offsets_, source_offsets_ ? rows_ : 0};
  }
  // Per row: the slot start (ticks) of the observation a forward/backward/nearest-filled
  // cell's value came from, in this segment or carried in from an earlier partition;
  // no_source_time for every other cell. Empty unless run_options::source_times was set.
  std::span<const std::int64_t> source_times() const noexcept {
    return {source_times_, source_times_ ? rows_ : 0};
  }
  const column_stats& stats() const noexcept { return stats_; }

 private:
  friend struct detail::result_builder;
  template <class T>
  void check_type() const {
    if (value_type_of<T>() != type_)
      throw invalid_argument("column '" + name_ + "' holds " + to_string(type_) + " values, not " +
                             to_string(value_type_of<T>()));
  }

  std::string name_;
  value_type type_ = value_type::float64;
  std::size_t rows_ = 0;
  bool has_original_ = true;
  // Owned by the result's blocks; written only while the result is built.
  void* original_ = nullptr;
  void* filled_ = nullptr;
  std::uint8_t* original_validity_ = nullptr;
  std::uint8_t* filled_validity_ = nullptr;
  cell_status* status_ = nullptr;
  std::int32_t* source_offsets_ = nullptr;
  std::int64_t* source_times_ = nullptr;
  column_stats stats_;
};

// A column-major block of the values of all columns of one type, in column order.
template <class T>
struct value_block {
  const T* data = nullptr;
  std::size_t rows = 0;
  std::vector<std::string> columns;  // names, in block order
};

class result {
 public:
  result() = default;
  result(result&&) noexcept = default;
  result& operator=(result&&) noexcept = default;
  result(const result&) = delete;  // large; move it
  result& operator=(const result&) = delete;

  std::size_t rows() const noexcept { return slot_time_.size(); }
  tick_period ticks() const noexcept { return ticks_; }

  std::span<const segment> segments() const noexcept { return segments_; }

  // Distinct keys, sorted; key i of segment s is distinct_keys(j)[s.key] for key column j.
  std::size_t key_count() const noexcept { return key_names_.size(); }
  const std::string& key_name(std::size_t j) const { return key_names_.at(j); }
  std::span<const std::int64_t> distinct_keys(std::size_t j) const { return key_values_.at(j); }
  std::size_t distinct_key_count() const noexcept { return distinct_keys_; }

  // Start time of each row's slot, in ticks of the input's Duration.
  std::span<const std::int64_t> slot_times() const noexcept { return slot_time_.span(); }
  // Slot ordinal of `row`, a row of segment `s`.
  std::int64_t slot_ordinal(const segment& s, std::size_t row) const noexcept {
    return cell_ordinals_.empty() ? s.first_slot + static_cast<std::int64_t>(row - s.offset)
                                  : cell_ordinals_[row];
  }

  std::size_t value_count() const noexcept { return columns_.size(); }
  const result_column& value(std::size_t i) const { return columns_.at(i); }
  const result_column& value(std::string_view name) const {
    for (const result_column& c : columns_) {
      if (c.name() == name) return c;
    }
    throw invalid_argument("the result has no value column '" + std::string(name) + "'");
  }
  std::span<const result_column> values() const noexcept { return columns_; }

  // Materialized per-row partition ids and key values.
  std::vector<std::int64_t> partition_column() const {
    std::vector<std::int64_t> out(rows());
    for (const segment& s : segments_)
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size, s.partition);
    return out;
  }
  std::vector<std::int64_t> key_column(std::size_t j) const {
    const std::vector<std::int64_t>& keys = key_values_.at(j);
    std::vector<std::int64_t> out(rows());
    for (const segment& s : segments_)
      std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(s.offset), s.size, keys[s.key]);
    return out;
  }

  // The filled (or original) values of every column of type T, as one column-major block.
  template <class T>
  value_block<T> filled_block() const {
    return block_of<T>(true);
  }
  template <class T>
  value_block<T> original_block() const {
    return block_of<T>(false);
  }

  const run_stats& stats() const noexcept { return stats_; }

 private:
  friend struct detail::result_builder;

  // The storage block of type T for original or filled values (the builder lays them out).
  template <class T>
  detail::buffer<T>& block(bool filled) {
    if constexpr (std::is_same_v<T, double>) return filled ? f64_filled_ : f64_original_;
    if constexpr (std::is_same_v<T, float>) return filled ? f32_filled_ : f32_original_;
    if constexpr (std::is_same_v<T, std::int64_t>) return filled ? i64_filled_ : i64_original_;
  }

  template <class T>
  value_block<T> block_of(bool filled) const {
    value_block<T> b;
    b.rows = rows();
    for (const result_column& c : columns_) {
      if (c.type() != value_type_of<T>()) continue;
      if (b.columns.empty()) b.data = filled ? c.filled<T>().data() : c.original<T>().data();
      b.columns.push_back(c.name());
    }
    return b;
  }

  tick_period ticks_{};
  std::vector<segment> segments_;
  std::vector<std::string> key_names_;
  std::vector<std::vector<std::int64_t>> key_values_;
  std::size_t distinct_keys_ = 0;
  detail::buffer<std::int64_t> slot_time_;
  std::vector<std::int64_t> cell_ordinals_;  // per row, only for grids that are not dense
  std::vector<result_column> columns_;
  // Column-major storage, one block per value type and role.
  detail::buffer<double> f64_original_, f64_filled_;
  detail::buffer<float> f32_original_, f32_filled_;
  detail::buffer<std::int64_t> i64_original_, i64_filled_;
  detail::buffer<cell_status> status_;
  detail::buffer<std::int32_t> source_offsets_;
  detail::buffer<std::int64_t> source_times_;
  detail::buffer<std::uint8_t> validity_;
  run_stats stats_;
};

TSFILL_END_NAMESPACE
