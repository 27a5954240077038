// libFuzzer target: numbers through a real CSV file. Eight bytes are a double; written in
// the writer's form (format_shortest, which must equal std::to_chars), read back by the CSV
// reader as --values v, the bits must be the same (NaN is read as NaN, infinities as
// infinities; -0 keeps its sign).
// The rest of the input is a cell read as is: a number or an error, never a wrong value.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

#include "cli_error.hpp"
#include "output.hpp"
#include "table.hpp"

using namespace tsfill_io;

namespace {
loaded_table read_cell(const std::string& path, const std::string& cell) {
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    const std::string text = "date,v\n2024-01-01T00:00:00Z," + cell + "\n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  read_spec o;
  o.inputs = {path};
  o.progress = false;
  o.value_patterns = {"v"};
  return load_inputs(o);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/tsfill-fuzz-num-" + std::to_string(::getpid()) + ".csv";
  static const int removed_at_exit = std::atexit([] { ::unlink(path.c_str()); });
  (void)removed_at_exit;
  if (size >= 8) {
    double d = 0;
    std::memcpy(&d, data, 8);
    char buf[64];
    std::string cell;
    if (std::isnan(d))
      cell = "NaN";
    else if (std::isinf(d))
      cell = d < 0 ? "-inf" : "inf";
    else
      cell.assign(buf, format_shortest(buf, d));
    if (std::isfinite(d) && cell != std::string(buf, std::to_chars(buf, buf + sizeof buf, d).ptr))
      __builtin_trap();
    const loaded_table t = read_cell(path, cell);  // must not throw
    if (t.rows() != 1 || t.values.size() != 1 || t.values[0].f64.size() != 1) __builtin_trap();
    const double back = t.values[0].f64[0];
    const bool valid = (t.values[0].validity[0] & 1U) != 0;
    if (std::isnan(d)) {
      if (valid && !std::isnan(back)) __builtin_trap();
    } else if (!valid || std::memcmp(&back, &d, 8) != 0) {
      __builtin_trap();
    }
  }
  const std::string cell(reinterpret_cast<const char*>(data), size);
  if (cell.find_first_of(",\"\n\r") != std::string::npos) return 0;  // one plain cell only
  try {
    const loaded_table t = read_cell(path, cell);
    if (t.values.size() == 1 && (t.values[0].validity[0] & 1U) != 0) {
      // A number read: the text must say that number (strtod is the independent judge).
      const std::string trimmed = cell.substr(cell.find_first_not_of(' '));
      const double judge = std::strtod(trimmed.c_str(), nullptr);
      const double got = t.values[0].f64[0];
      if (!(judge == got || (std::isnan(judge) && std::isnan(got)))) __builtin_trap();
    }
  } catch (const cli_error&) {
  }
  return 0;
}
