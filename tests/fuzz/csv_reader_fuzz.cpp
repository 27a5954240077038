// libFuzzer target: the CSV reader on any bytes, under ASan and UBSan. The input's first
// byte picks the read: with or without a key, --values named (bad cells are errors) or not
// (bad cells leave columns out), --time-unit epochs, a --where rule. Every outcome must be a
// loaded table or a cli_error with a one-line message; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "cli_error.hpp"
#include "rules.hpp"
#include "table.hpp"

using namespace tsfill_io;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0];
  static const std::string path = "/tmp/tsfill-fuzz-csv-" + std::to_string(::getpid()) + ".csv";
  static const int removed_at_exit = std::atexit([] { ::unlink(path.c_str()); });
  (void)removed_at_exit;
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data + 1, 1, size - 1, f);
    std::fclose(f);
  }
  read_spec o;
  o.inputs = {path};
  o.progress = false;
  if (mode & 1) o.keys = {"k"};
  if (mode & 2) o.value_patterns = {"v"};
  if (mode & 4) o.time_unit = (mode & 8) ? "s" : "ms";
  if (mode & 16) o.require_utf8 = true;
  if (mode & 32) o.where = {parse_where("k!=b")};
  if (mode & 64) o.value_patterns = {"v*"};
  try {
    const loaded_table t = load_inputs(o);
    for (const loaded_value& v : t.values)  // every column as long as the time column
      if ((v.type == tsfill::value_type::float64 ? v.f64.size() : v.i64.size()) != t.rows())
        __builtin_trap();
  } catch (const cli_error& e) {
    const std::string what = printable(e.what());
    if (what.find('\n') != std::string::npos || what.size() > 5000) __builtin_trap();
  }
  return 0;
}
