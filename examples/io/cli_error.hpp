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

// The length of the valid UTF-8 sequence at p (1 for ASCII), or 0 if none starts there (no
// overlong forms, surrogates or code points past U+10FFFF).
inline std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) {
  const unsigned c = *p;
  if (c < 0x80) return 1;
  std::size_t more = 0;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    more = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    more = 2;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    more = 3;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) <= more || p[1] < lo || p[1] > hi) return 0;
  for (std::size_t k = 2; k <= more; ++k)
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  return more + 1;
}

inline bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const std::size_t n = utf8_sequence_length(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

// Text from a file or the command line as it may appear in a one-line message: control
// characters (line breaks, escape sequences, NUL) and bytes that are no UTF-8 character as
// \n, \t, \r or \xNN, so that nothing in
// an input can break the line or reach the user's terminal as a command; at most `max` bytes
// of it (cut at a character boundary), then "... (N bytes)".
inline std::string printable(std::string_view s, std::size_t max = 4000) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  auto escape = [&](unsigned c) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
  };
  while (p < end && out.size() < max) {
    const unsigned c = *p;
    const std::size_t n = utf8_sequence_length(p, end);
    if (n > 1) {  // a whole character, never cut
      out.append(reinterpret_cast<const char*>(p), n);
      p += n;
      continue;
    }
    ++p;
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else if (n == 0 || c < 0x20 || c == 0x7f)  // a control character, or a byte of no character
      escape(c);
    else
      out.push_back(static_cast<char>(c));
  }
  if (p < end) out += "... (" + std::to_string(s.size()) + " bytes)";
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
