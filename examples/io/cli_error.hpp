// Errors the command line reports on one line: exit status 2 for bad flags, bad input
// files, outputs that exist (messages name the flag, or the file, row and column); 3 for a
// store held by another process; 1 for failures while running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tsfill_io {

class cli_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Text from a file or the command line as it may appear in a one-line message: control
// characters (line breaks, escape sequences, NUL) as \n, \t, \r or \xNN, so that nothing in
// an input can break the line or reach the user's terminal as a command; at most `max` bytes
// of it (cut at a character boundary), then "... (N bytes)".
inline std::string printable(std::string_view s, std::size_t max = 4000) {
  std::string out;
  std::size_t i = 0;
  for (; i < s.size() && out.size() < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)  // finish a character
    out.push_back(s[i++]);
  if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}

// A cell's text in a message: quoted, printable, at most 60 bytes of it.
inline std::string shown_cell(std::string_view s) {
  return "'" + printable(s, 60) + "'";
}

// "FILE, row R (line L), column 'C': WHAT". Rows count data rows from 1 (the header is not
// a row); the line is the file line where the record starts (the header is line 1).
inline cli_error input_error(const std::string& file, std::uint64_t row, std::uint64_t line,
                             const std::string& column, const std::string& what) {
  std::string where = file;
  if (row != 0) where += ", row " + std::to_string(row);
  if (line != 0) where += " (line " + std::to_string(line) + ")";
  if (!column.empty()) where += ", column '" + column + "'";
  return cli_error(where + ": " + what);
}

// The store a command needs is held by another process: exit status 3.
class busy_error : public cli_error {
 public:
  using cli_error::cli_error;
};

// A failure while running that is not bad input (a store or disk that fails mid-run):
// one line, exit status 1.
class run_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A library error's message without its "tsfill: " prefix (the program adds its own).
inline std::string without_prefix(std::string what) {
  if (what.rfind("tsfill: ", 0) == 0) what.erase(0, 8);
  return what;
}

inline cli_error flag_error(const std::string& flag, const std::string& what) {
  return cli_error(flag + ": " + what);
}

}  // namespace tsfill_io
