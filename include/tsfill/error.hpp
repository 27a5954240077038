// Errors thrown by tsfill. Every message starts with "tsfill: " and names the argument,
// column, row or policy member at fault.
//
//   error                      base class of everything tsfill throws
//   ├─ invalid_argument        a bad argument or policy option (names it)
//   ├─ resource_error          the grid would need more memory than run_options::max_bytes
//   └─ duplicate_error         dedup::reject met two rows in one cell (carries both rows)
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE

class error : public std::runtime_error {
 public:
  explicit error(const std::string& what) : std::runtime_error("tsfill: " + what) {}
};

class invalid_argument : public error {
 public:
  using error::error;
};

// The grid would need more memory than run_options::max_bytes allows: refused while
// planning, before the cells are allocated. Carries the estimate, so that a caller can say
// it in its own words (which flag sets the limit).
class resource_error : public error {
 public:
  resource_error(const std::string& what, std::size_t cells_planned, std::size_t bytes,
                 std::size_t allowed)
      : error(what), cells(cells_planned), bytes_needed(bytes), bytes_allowed(allowed) {}
  std::size_t cells;         // cells laid out when the estimate passed the limit (at least)
  std::size_t bytes_needed;  // the estimate for those cells (at least)
  std::size_t bytes_allowed;
};

// Thrown by dedup::reject. `first_row` and `second_row` are 0-based row indices of the
// input, so that a caller reading a file can translate them to file positions.
class duplicate_error : public error {
 public:
  duplicate_error(const std::string& what, std::size_t first, std::size_t second)
      : error(what), first_row(first), second_row(second) {}
  std::size_t first_row;
  std::size_t second_row;
};

TSFILL_END_NAMESPACE
