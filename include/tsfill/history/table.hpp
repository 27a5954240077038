// History tables: months, a month partition's keys and fixed-length array columns, and the
// staging set of late values. Plain structure-of-arrays data; the operations are in
// apply.hpp, roll.hpp and verify.hpp.
//
// A history table is partitioned by month. Each row is one key (an account) and carries K
// array columns of length N: element i of the row in month p is the value of month p - i
// (index 0 = that month, 1 = the month before, ...). A late value for month m therefore
// belongs at index p - m of every partition p in [m, m + N - 1].
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace history {

// A calendar month as months since 1970-01 (1970-01 = 0, 1969-12 = -1).
using month = std::int64_t;

constexpr month month_of(std::int64_t year, std::int64_t mon) noexcept {
  return (year - 1970) * 12 + (mon - 1);
}

// "2024-03".
inline std::string month_text(month m) {
  const std::int64_t y = 1970 + (m >= 0 ? m / 12 : -((-m + 11) / 12));
  const std::int64_t mo = m - (y - 1970) * 12 + 1;
  std::string s = std::to_string(y) + "-";
  if (mo < 10) s.push_back('0');
  return s + std::to_string(mo);
}

// "YYYY-MM" (also the first 7 characters of a date "YYYY-MM-DD..."), or none.
inline std::optional<month> parse_month(std::string_view t) {
  if (t.size() < 7 || t[4] != '-') return std::nullopt;
  if (t.size() > 7 && t[7] != '-') return std::nullopt;
  std::int64_t y = 0, mo = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    y = y * 10 + (t[i] - '0');
  }
  for (std::size_t i = 5; i < 7; ++i) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
    mo = mo * 10 + (t[i] - '0');
  }
  if (mo < 1 || mo > 12) return std::nullopt;
  return month_of(y, mo);
}

// One array column of a partition: per row a list of `length` doubles, row-major (element
// i of row r at r * length + i), a validity byte per element, and whether the row's list
// is there at all (a null list is not a list of nulls: placing a value into a null list
// makes it a list of nulls first).
struct array_column {
  std::string name;
  std::vector<double> values;
  std::vector<std::uint8_t> valid;      // per element, 1 = a value
  std::vector<std::uint8_t> row_valid;  // per row, 1 = a list (0: the whole list is null)
};

// One month partition: a key per row (integers, or codes of a dictionary the caller keeps)
// and K array columns, all of the same length.
struct partition {
  month m = 0;
  std::size_t length = 0;  // N
  std::vector<std::int64_t> keys;
  std::vector<array_column> arrays;

  std::size_t rows() const noexcept { return keys.size(); }

  // Appends a row for `key` whose lists are there and hold nulls only.
  void append_empty_row(std::int64_t key) {
    keys.push_back(key);
    for (array_column& a : arrays) {
      a.values.resize(a.values.size() + length, 0.0);
      a.valid.resize(a.valid.size() + length, 0);
      a.row_valid.push_back(1);
    }
  }
};

// The late values: per staged row its key, month and, for each staged column, a value or
// an explicit null (a null is placed as a null: it is not "no value"). `target` says which
// array column (by index into partition::arrays) each staged column goes to.
struct staged_column {
  std::size_t target = 0;
  std::vector<double> values;
  std::vector<std::uint8_t> valid;
};

struct staging {
  std::vector<std::int64_t> keys;
  std::vector<month> months;
  std::vector<std::size_t> rows;  // each staged row's row number in its source (from 1)
  std::vector<staged_column> columns;

  std::size_t size() const noexcept { return keys.size(); }
};

// Two staged rows for one key and month under dedup::reject.
class duplicate_staged : public std::runtime_error {
 public:
  duplicate_staged(std::size_t first, std::size_t second, const std::string& what)
      : std::runtime_error(what), first_row(first), second_row(second) {}
  std::size_t first_row, second_row;  // source rows (from 1)
};

}  // namespace history
TSFILL_END_NAMESPACE
