#include "paths.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <fnmatch.h>

#include "cli_error.hpp"

namespace tsfill_io {
namespace fs = std::filesystem;

bool has_extension(const std::string& path, const std::string& ext) {
  return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
}

bool glob_match(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool has_glob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::vector<std::string> discover_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      files.push_back(input);  // a file (the reader says if it cannot be opened)
      continue;
    }
    std::vector<std::string> found;
    auto it = fs::recursive_directory_iterator(input, ec);
    if (ec) throw cli_error(input + ": cannot list the directory: " + ec.message());
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) throw cli_error(input + ": cannot list the directory: " + ec.message());
      const std::string name = it->path().filename().string();
      if (!name.empty() && (name[0] == '.' || name[0] == '_')) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file(ec)) continue;
      const std::string path = it->path().string();
      if (has_extension(path, ".csv") || has_extension(path, ".tsv") ||
          has_extension(path, ".parquet") || has_extension(path, ".pq"))
        found.push_back(path);
    }
    if (found.empty()) throw cli_error(input + ": the directory has no .csv or .parquet files");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

}  // namespace tsfill_io
